"""What every process model (threaded, evented, prefork) does to its own process.

``reexec`` replaces the process image by a fresh one with the same
arguments and pid, handing the listening socket over through
``LISTEN_FDS`` (a reload); ``dump_stacks`` logs every thread's stack
(SIGQUIT); ``force_exit`` ends the process at once, for a second stop
signal during a graceful stop.  A module of its own so that the servers
of ``inphms.service`` share it without importing each other.
"""
import logging
import os
import sys
import threading
import traceback

from inphms import errors, metrics
from inphms.config import config
from inphms.httpserver.server import SD_LISTEN_FDS_START

from . import pidfile
from .signals import SignalQueue

_logger = logging.getLogger(__name__)


def force_exit():
    pidfile.remove(config["pidfile"])
    logging.shutdown()
    os._exit(errors.EXIT_FORCED)


def dump_stacks():
    frames = sys._current_frames()
    parts = []
    for thread in threading.enumerate():
        frame = frames.get(thread.ident)
        if frame is None:
            continue
        parts.append(f"# thread {thread.name} (id {thread.ident}, daemon {thread.daemon})\n"
                     + "".join(traceback.format_stack(frame)))
    _logger.info("SIGQUIT: stacks of %d threads\n%s", len(parts), "\n".join(parts))


def reexec(handoff_fd):
    """Replace this process image by a fresh one with the same arguments and pid."""
    env = dict(os.environ)
    env[metrics.RELOADS_ENV] = str(int(env.get(metrics.RELOADS_ENV, "0") or 0) + 1)
    SignalQueue.block_for_exec()
    logging.shutdown()      # before dup2: fd 3 may be the log file
    if handoff_fd is not None:
        if handoff_fd != SD_LISTEN_FDS_START:
            os.dup2(handoff_fd, SD_LISTEN_FDS_START, inheritable=True)
        os.set_inheritable(SD_LISTEN_FDS_START, True)
        env["LISTEN_FDS"] = "1"
        env["LISTEN_PID"] = str(os.getpid())
    os.execve(sys.executable, list(sys.orig_argv), env)
