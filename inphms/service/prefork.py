"""``--workers N``: a master process and N forked HTTP workers on one socket.

The master binds the listening socket once (or takes systemd's / its
previous image's through ``LISTEN_FDS``), forks the workers and, when
``max_cron_threads`` > 0, one cron worker, so cron runs once per server and
never once per HTTP worker.  The master serves nothing itself: it waits for
signals and for its children.

- a worker that dies is replaced; a worker whose memory goes over
  ``limit_memory_soft``, that served ``worker_max_requests`` requests or
  one of whose requests went past ``limit_time_real`` / ``limit_time_cpu``
  (``inphms.request_limits``) finishes its requests, exits, and is replaced.
- each HTTP worker writes a heartbeat to a pipe of the master once a second
  (a thread of its own; under gevent a greenlet, so a hub that never gets
  the CPU back stops it too); a worker silent for ``worker_timeout`` seconds
  (stopped, deadlocked, stuck in C code holding the GIL) is killed with
  SIGKILL and replaced.
- SIGTERM/SIGINT: every worker stops gracefully (finishes its requests),
  then the master exits 0; a second signal kills the workers at once.
- SIGHUP: a rolling reload.  The master re-executes itself (same pid, the
  socket handed over, the old workers' pids in ``INPHMS_OLD_WORKERS``); the
  new image forks fresh workers with the new config and code, then stops the
  old ones gracefully.  Old and new workers share the socket meanwhile, so
  no connection is refused and no request is cut.
"""
import logging
import os
import signal
import threading
import time

from inphms import errors, metrics, request_limits, sql
from inphms.config import config
from inphms.httpserver import balance
from inphms.httpserver.server import make_http_server, open_listen_socket

from . import limits
from .cron import CronRunner
from .gevent_server import GeventServer
from .process import dump_stacks, force_exit
from .server import ThreadedServer
from .signals import HANDLED, SignalQueue, kept_from_new_threads

_logger = logging.getLogger(__name__)

OLD_WORKERS_ENV = "INPHMS_OLD_WORKERS"
MASTER_SIGNALS = HANDLED + (signal.SIGCHLD,)
HEARTBEAT_EVERY = 1.0   # seconds between two heartbeats of a worker


class WorkerMixin:
    """What makes a server a prefork worker: no cron, the master's signals, recycling, heartbeat."""
    master = None
    heartbeat_fd = None
    recycle_why = ""

    def start(self, stop=False):
        request_limits.over_limit = self.recycle_after_answer
        if self.heartbeat_fd is not None:
            with kept_from_new_threads():
                threading.Thread(target=self.beat, name="inphms.heartbeat", daemon=True).start()
        super().start(stop)

    def beat(self):
        """A byte to the master every HEARTBEAT_EVERY s, while this process runs at all."""
        while True:
            try:
                os.write(self.heartbeat_fd, b".")
            except BlockingIOError:
                pass        # the master has not read the last ones yet
            except OSError:
                return
            time.sleep(HEARTBEAT_EVERY)

    def recycle_after_answer(self, why):
        """A request went past its time limit: stop taking requests, then let a fresh worker serve."""
        self.recycle_why = why

    def cron_spawn(self):
        """Cron runs in the cron worker, never in an HTTP worker."""

    def on_signal(self, signum):
        if signum in (signal.SIGHUP, signal.SIGINT):
            return False        # the master decides; Ctrl-C reaches it too
        return super().on_signal(signum)

    def process_limit(self):
        if os.getppid() != self.master:
            _logger.warning("the master %d is gone: stopping", self.master)
            return True
        if self.recycle_why:
            _logger.warning("a request %s: recycling this worker once it answers", self.recycle_why)
            self.phoenix = False
            return True
        limit = config["worker_max_requests"]
        if limit and self.httpd and self.httpd.requests_total >= limit:
            _logger.info("worker served %d requests (worker_max_requests): recycling",
                         self.httpd.requests_total)
            return True
        if super().process_limit():
            self.phoenix = False        # a worker is replaced by the master, not re-executed
            return True
        return False


class HttpWorker(WorkerMixin, ThreadedServer):
    """One prefork worker: the threaded server on the master's socket."""

    def __init__(self, app, listen_fd, master):
        super().__init__(app)
        self.listen_fd = listen_fd
        self.master = master

    def http_spawn(self):
        self.httpd = make_http_server(self.app, fd=self.listen_fd)
        self.start_http_thread()


class PreforkServer:
    """The master of the workers."""

    def __init__(self, app, cron_main=None):
        self.app = app
        self.cron_main = cron_main      # callable run by the cron worker; None = no cron worker
        self.signals = SignalQueue()
        self.workers = {}               # pid -> "http" | "cron"
        self.heartbeats = {}            # pid -> [read end of its heartbeat pipe, last beat]
        self.board = None               # the HTTP workers' open connections (balance)
        self.slots = {}                 # pid -> its slot on the board
        self.old = {int(p) for p in os.environ.pop(OLD_WORKERS_ENV, "").split(",") if p}
        self.socket = None
        self.phoenix = False
        self.handoff_fd = None
        self.stopping = False

    # -- life of the master ---------------------------------------------------
    def run(self, stop=False):
        limits.set_limit_memory_hard(config["limit_memory_hard"])
        if stop:
            return errors.EXIT_OK
        if config["http_enable"]:
            self.socket = open_listen_socket(config["http_interface"], config["http_port"])
            self.board = balance.Board(config["workers"])
            _logger.info("HTTP service (prefork, %d workers) running on %s:%s", config["workers"],
                         *self.socket.getsockname()[:2])
        self.signals.install(MASTER_SIGNALS)
        sql.close_all()         # children open their own connections
        self.spawn_missing()
        self.stop_old_workers()
        while not self.stopping:
            signum = self.signals.wait(1.0)
            self.on_signal(signum)
            self.reap()
            if not self.stopping:
                self.check_heartbeats()
                self.spawn_missing()
        return self.stop()

    def on_signal(self, signum):
        if signum is None or signum == signal.SIGCHLD:
            return
        if signum == signal.SIGQUIT:
            dump_stacks()
            self.kill_all(signal.SIGQUIT)
            return
        if signum == signal.SIGHUP:
            _logger.info("SIGHUP received: rolling reload of %d workers", len(self.workers))
            self.phoenix = True
        else:
            _logger.info("%s received: stopping the workers gracefully (send it again to stop "
                         "at once)", signal.Signals(signum).name)
        self.stopping = True

    def stop(self):
        if self.phoenix:
            # the new image takes the socket and stops these workers once its own run
            self.handoff_fd = os.dup(self.socket.fileno()) if self.socket else None
            os.environ[OLD_WORKERS_ENV] = ",".join(str(p) for p in [*self.workers, *self.old])
            return errors.EXIT_OK
        if self.socket:
            self.socket.close()
        self.kill_all(signal.SIGTERM)
        self.wait_children()
        _logger.info("stopped")
        return errors.EXIT_OK

    def wait_children(self):
        """Wait for every child; a second SIGINT/SIGTERM kills them at once."""
        waited, deadline = 0.0, config["limit_time_real"] or None
        while self.workers or self.old:
            signum = self.signals.wait(0.2)
            waited += 0.2
            if signum in (signal.SIGINT, signal.SIGTERM) or (deadline and waited > deadline):
                _logger.warning("killing %d workers at once", len(self.workers) + len(self.old))
                self.kill_all(signal.SIGKILL)
                force_exit()
            self.reap()

    # -- children ---------------------------------------------------------------
    def spawn_missing(self):
        kinds = list(self.workers.values())
        wanted = config["workers"] if self.socket else 0       # --no-http-enable: cron only
        for _ in range(wanted - kinds.count("http")):
            self.spawn("http")
        if self.cron_main is not None and config["max_cron_threads"] and "cron" not in kinds:
            self.spawn("cron")

    def spawn(self, kind):
        master = os.getpid()    # read before the fork: the child's getppid() may already be 1
        beat_read, beat_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC) if kind == "http" else (None, None)
        slot = None
        if kind == "http" and self.board is not None:
            slot = self.board.take_slot(set(self.slots.values()))
        try:
            pid = os.fork()
        except OSError:
            if slot is not None:
                self.board.free_slot(slot)      # no worker holds it
            raise
        if pid:
            self.workers[pid] = kind
            if slot is not None:
                self.slots[pid] = slot
            if beat_read is not None:
                os.close(beat_write)
                self.heartbeats[pid] = [beat_read, time.monotonic()]
            _logger.info("%s worker %d started", kind, pid)
            return
        code = errors.EXIT_ERROR
        try:
            self.signals.close()        # the master's wake-up pipe is not the child's
            for fd, _ in self.heartbeats.values():
                os.close(fd)            # the other workers' pipes are the master's
            if beat_read is not None:
                os.close(beat_read)
            self.beat_fd = beat_write
            if slot is not None:
                self.board.join(slot)
            for signum in MASTER_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)
            code = self.child_main(kind, master)
        except BaseException:
            _logger.exception("%s worker %d failed", kind, os.getpid())
        finally:
            logging.shutdown()
            os._exit(code)

    def child_main(self, kind, master):
        if kind == "cron":
            return self.cron_main(master)
        if config["evented"]:
            worker = evented_worker(self.app, self.socket.fileno(), master)
        else:
            worker = HttpWorker(self.app, self.socket.fileno(), master)
        worker.heartbeat_fd = self.beat_fd
        return worker.run()

    def check_heartbeats(self):
        """Kill a worker whose heartbeat stopped for ``worker_timeout`` s (reap then replaces it)."""
        timeout = config["worker_timeout"]
        now = time.monotonic()
        for pid, beat in list(self.heartbeats.items()):
            try:
                if os.read(beat[0], 4096):
                    beat[1] = now
            except BlockingIOError:
                pass
            if not timeout or now - beat[1] <= timeout:
                continue
            _logger.warning("http worker %d sent no heartbeat for %.0f s (worker_timeout): "
                            "killing it", pid, now - beat[1])
            beat[1] = now       # once: the kill is reaped on the next turn
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def forget_heartbeat(self, pid):
        beat = self.heartbeats.pop(pid, None)
        if beat is not None:
            os.close(beat[0])

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            self.old.discard(pid)
            metrics.process_gone(pid)
            self.forget_heartbeat(pid)
            slot = self.slots.pop(pid, None)
            if slot is not None:
                self.board.free_slot(slot)      # its count no longer holds the others back
            kind = self.workers.pop(pid, None)
            if kind and not self.stopping:
                _logger.warning("%s worker %d exited (%s): starting a new one", kind, pid,
                                describe_status(status))

    def stop_old_workers(self):
        """After a rolling reload: the previous image's workers stop gracefully."""
        for pid in list(self.old):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.old.discard(pid)
        if self.old:
            _logger.info("stopping %d workers of the previous image gracefully", len(self.old))

    def kill_all(self, signum):
        for pid in list(self.workers) + list(self.old):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass


# An evented worker waits up to this long for a database answer before it
# gives the hub to its other greenlets, when that pays (inphms.sql.answer_wait
# says when and why).  A single evented process does not wait: there
# nothing else would run meanwhile.
EVENTED_WORKER_ANSWER_WAIT = 0.001


def evented_worker(app, listen_fd, master):
    """``--workers N --evented``: a gevent server per worker on the master's socket."""
    # lazy: the MySQL driver is loaded only when it is used (as inphms.sql.engine does)
    from ..sql.engine_mysql import wait_for_answers

    wait_for_answers(EVENTED_WORKER_ANSWER_WAIT)

    class EventedWorker(WorkerMixin, GeventServer):
        pass

    worker = EventedWorker(app)
    worker.listen_fd = listen_fd
    worker.master = master
    return worker


def cron_worker_main(addons, master):
    """The cron worker: the cron threads of the whole prefork server, and nothing else."""
    signals = SignalQueue()
    signals.install()
    with kept_from_new_threads():
        runner = CronRunner(addons).start()
    while True:
        signum = signals.wait(1.0)
        if signum == signal.SIGTERM or os.getppid() != master:
            break
        if signum == signal.SIGQUIT:
            dump_stacks()
        # SIGINT and SIGHUP are the master's to act on
    _logger.info("cron worker stopping: letting running jobs finish")
    runner.stop(config["limit_time_real"] or None)
    sql.close_all()
    return errors.EXIT_OK


def describe_status(status):
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
