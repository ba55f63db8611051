"""The time limits of one request: ``limit_time_real`` and ``limit_time_cpu``.

The Application calls ``begin()`` when a request starts and ``end()`` when
it is answered.  A watchdog thread (one per process, started with the first
request) looks at the running requests every second; a request past
``limit_time_real`` seconds of wall-clock time, or past ``limit_time_cpu``
seconds of CPU time of its thread, is logged once with its stack, and
``over_limit`` is called: a prefork worker sets it to recycle itself (it
stops taking requests, lets the late one answer, and the master starts a
fresh worker; a request still running ``limit_time_real`` later is cut by
the stop's own deadline).  A single threaded or evented process only logs.

Under gevent every greenlet runs on one thread, so the CPU time read is
the process's: the CPU limit is then left out, and the stack is the
greenlet's.
"""
import logging
import sys
import threading
import time
import traceback

from .config import config
from .patch_gevent import original

_logger = logging.getLogger(__name__)

TICK = 1.0      # seconds between two looks of the watchdog

over_limit = None       # callable(why) the process sets: what to do past a limit
# key -> Running.  No lock: one item set or popped, or the values copied
# with list(), is atomic under the GIL (and a gevent lock would not do for
# the watchdog, a real thread)
running = {}
watchdog = None


class Running:
    """One request in flight: what it is, since when, and how its CPU time is read."""
    __slots__ = ("method", "path", "started", "thread", "clock", "cpu_started", "greenlet",
                 "reported")

    def __init__(self, environ):
        self.method = environ.get("REQUEST_METHOD", "")
        self.path = environ.get("PATH_INFO", "")
        self.started = time.monotonic()
        self.thread = threading.get_ident()
        self.greenlet = current_greenlet()
        self.clock = None
        self.cpu_started = 0.0
        if self.greenlet is None:
            try:
                self.clock = time.pthread_getcpuclockid(self.thread)
                self.cpu_started = time.clock_gettime(self.clock)
            except (AttributeError, OSError):
                self.clock = None
        self.reported = False

    def cpu(self):
        if self.clock is None:
            return 0.0
        try:
            return time.clock_gettime(self.clock) - self.cpu_started
        except OSError:
            return 0.0      # the thread is gone

    def stack(self):
        frame = None
        if self.greenlet is not None:
            frame = getattr(self.greenlet, "gr_frame", None)
        if frame is None:
            frame = sys._current_frames().get(self.thread)
        return "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)\n"


def current_greenlet():
    """The running greenlet when gevent runs this process, else None."""
    if "gevent" not in sys.modules:
        return None
    # lazy: greenlet comes with gevent, an optional extra, and is there when gevent runs
    import greenlet
    current = greenlet.getcurrent()
    return current if current.parent is not None else None


def begin(environ):
    """The request of ``environ`` starts; the key to give ``end()``."""
    if not config["limit_time_real"] and not config["limit_time_cpu"]:
        return None
    entry = Running(environ)
    key = id(entry)
    running[key] = entry
    if watchdog is None:
        start_watchdog()
    return key


def end(key):
    if key is None:
        return
    running.pop(key, None)


def start_watchdog():
    global watchdog
    if watchdog is not None:
        return
    watchdog = True
    start_thread(watch)


def start_thread(target):
    """A real OS thread, even under gevent: it must run while a greenlet hogs the CPU."""
    start = original("_thread", "start_new_thread") if "gevent" in sys.modules else None
    if start is None:
        threading.Thread(target=target, name="inphms.request_limits", daemon=True).start()
        return
    start(target, ())


def watch():
    sleep = original("time", "sleep")
    while True:
        sleep(TICK)
        try:
            look()
        except Exception:
            _logger.exception("request time limits: the watchdog failed")


def look(now=None):
    """Report each request past a limit, once."""
    now = time.monotonic() if now is None else now
    real, cpu_limit = config["limit_time_real"], config["limit_time_cpu"]
    entries = list(running.values())
    for entry in entries:
        if entry.reported:
            continue
        elapsed = now - entry.started
        cpu = entry.cpu()
        why = ""
        if real and elapsed > real:
            why = f"ran {elapsed:.0f} s, over limit_time_real ({real} s)"
        elif cpu_limit and entry.clock is not None and cpu > cpu_limit:
            why = f"used {cpu:.0f} s of CPU, over limit_time_cpu ({cpu_limit} s)"
        if not why:
            continue
        entry.reported = True
        _logger.warning("request %s %.200r %s; its stack:\n%s", entry.method, entry.path, why,
                        entry.stack())
        if over_limit is not None:
            over_limit(why)
