"""ThreadedServer and start(): the life of the server process.

``start()`` loads the addons, builds the Application and runs the
ThreadedServer.  ``ThreadedServer.run()`` serves HTTP in a thread while the
main thread waits for signals and checks the memory limit:

- SIGINT/SIGTERM: graceful stop (stop accepting, let requests in flight
  finish, exit 0); a second one during the stop exits at once.
- SIGHUP: the same graceful stop, then the process re-executes itself with
  the same arguments (same pid), handing its listening socket to the new
  image through ``LISTEN_FDS``, so no connection is refused meanwhile.
- SIGQUIT: every thread's stack goes to the log.
- resident memory over ``limit_memory_soft``: a reload once no request runs.
"""
import logging
import os
import signal
import sys
import threading
import time
import traceback

from inphms import errors, health, http, metrics, printcapture, sql
from inphms.auth import users
from inphms.config import config
from inphms.modules import module
from inphms.httpserver.server import SD_LISTEN_FDS_START, make_http_server

from . import limits, pidfile
from .cron import CronRunner
from .reloader import Reloader
from .signals import SignalQueue, kept_from_new_threads

_logger = logging.getLogger(__name__)

MAIN_LOOP_TICK = 1.0


class ThreadedServer:
    http_kind = "threaded"      # named in the log line of the start

    def __init__(self, app, watch=()):
        self.app = app
        self.watch = list(watch)    # folders --dev reload watches
        self.reloader = None
        self.httpd = None
        self.http_thread = None
        self.signals = SignalQueue()
        self.phoenix = False        # re-execute after the stop (SIGHUP, memory)
        self.handoff_fd = None      # the listening socket kept for the new image
        self.memory_wait_logged = False
        self.addons = []            # the loaded addons: cron finds its jobs in them
        self.cron = None

    # -- start ------------------------------------------------------------
    def start(self, stop=False):
        limits.set_limit_memory_hard(config["limit_memory_hard"])
        self.check_soft_limit()
        self.signals.install()
        with kept_from_new_threads():
            if config["http_enable"] and not stop:
                self.http_spawn()
            if config["max_cron_threads"] > 0 and not stop:
                self.cron_spawn()
            if self.watch and not stop:
                # a reload asked by the watcher is the same as an operator's SIGHUP
                self.reloader = Reloader(self.watch, lambda: self.signals.handler(signal.SIGHUP, None))
                self.reloader.start()

    def check_soft_limit(self):
        """A soft limit below the fresh process's own size would reload forever."""
        soft, rss = config["limit_memory_soft"], limits.memory_rss()
        if soft and rss > soft:
            _logger.warning("limit_memory_soft %.1f MB is below the size of the freshly started "
                            "server (%.1f MB): memory reloads are off until the next start",
                            soft / 2**20, rss / 2**20)
            self.soft_limit = 0
            return
        self.soft_limit = soft

    def http_spawn(self):
        self.httpd = make_http_server(self.app)
        self.start_http_thread()

    def start_http_thread(self):
        self.http_thread = threading.Thread(target=self.httpd.serve_forever,
                                            name="inphms.service.httpd", daemon=True)
        self.http_thread.start()
        host, port = self.httpd.server_address[:2]
        _logger.info("HTTP service (%s) running on %s:%s", self.http_kind, host, port)

    def cron_spawn(self):
        self.cron = CronRunner(self.addons).start()

    # -- main loop ----------------------------------------------------------
    def run(self, stop=False):
        self.start(stop)
        if stop:
            _logger.info("stop after init: exiting")
            self.stop()
            return errors.EXIT_OK
        while True:
            signum = self.signals.wait(MAIN_LOOP_TICK)
            if signum is not None and self.on_signal(signum):
                break
            if self.process_limit():
                break
        self.stop()
        return errors.EXIT_OK

    def on_signal(self, signum):
        """Act on one signal; True when the main loop should end."""
        if signum == signal.SIGQUIT:
            dump_stacks()
            return False
        if signum == signal.SIGHUP:
            _logger.info("SIGHUP received: reloading (graceful stop, then re-exec)")
            self.phoenix = True
            return True
        _logger.info("%s received: stopping gracefully (send it again to stop at once)",
                     signal.Signals(signum).name)
        return True

    def process_limit(self):
        """True when memory is over the soft limit and no request is running."""
        soft = self.soft_limit
        rss = limits.memory_rss()
        if not soft or rss <= soft:
            self.memory_wait_logged = False
            return False
        busy = self.httpd.busy if self.httpd else 0
        if busy:
            if not self.memory_wait_logged:
                _logger.info("memory %.1f MB is over limit_memory_soft %.1f MB: reloading once "
                             "%d request(s) in flight end", rss / 2**20, soft / 2**20, busy)
                self.memory_wait_logged = True
            return False
        _logger.warning("memory %.1f MB is over limit_memory_soft %.1f MB: reloading",
                        rss / 2**20, soft / 2**20)
        self.phoenix = True
        return True

    # -- stop ---------------------------------------------------------------
    def stop(self):
        """Stop accepting, let requests in flight and cron jobs finish, release resources."""
        limit = config["limit_time_real"]
        self.stop_deadline = time.monotonic() + limit if limit else None
        self.drain()
        if self.reloader:
            self.reloader.stop()
        if self.cron:
            self.cron.request_stop()    # no new job while requests drain
        if self.httpd:
            if self.phoenix:
                # Keep the listening socket open past the server's close, so
                # connections queue in the kernel until the new image accepts.
                self.handoff_fd = os.dup(self.httpd.fileno())
            self.httpd.start_draining()
            self.httpd.shutdown(keep_listening=self.phoenix)
            self.wait_requests()
        if self.cron:
            self.wait_cron()
        for hook in stop_hooks:
            hook()
        _logger.info("stopped" if not self.phoenix else "stopped, re-executing")

    def drain(self):
        """Readiness answers 503 from now on; go on serving ``drain_delay`` s first.

        A load balancer polling /health/ready then sees the server leave
        before its socket closes, and sends it no request that would be refused.
        A second SIGINT/SIGTERM meanwhile exits at once.
        """
        health.begin_draining("reloading" if self.phoenix else "stopping")
        delay = config["drain_delay"]
        if not delay or not self.httpd:
            return
        _logger.info("draining: readiness answers 503, serving %ss more before closing", delay)
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            signum = self.signals.wait(min(left, 0.2))
            if signum in (signal.SIGINT, signal.SIGTERM):
                _logger.warning("%s received again: exiting at once", signal.Signals(signum).name)
                force_exit()
            if signum == signal.SIGQUIT:
                dump_stacks()

    def wait_requests(self):
        """Wait for requests in flight (up to the stop's deadline)."""
        def late():
            _logger.warning("%d connection(s) still open after limit_time_real (%ss): "
                            "stopping anyway", self.httpd.connections, config["limit_time_real"])
        self.wait_until(self.httpd.wait_idle, late)

    def wait_cron(self):
        """Let running cron jobs finish (up to the same deadline)."""
        def late():
            _logger.warning("cron job(s) %s still running after limit_time_real (%ss): "
                            "stopping anyway", ", ".join(self.cron.busy()), config["limit_time_real"])
        self.wait_until(self.cron.stop, late)

    def wait_until(self, done, late):
        """Poll ``done(0.2)`` until it is True or the stop's deadline passes (then ``late()``).

        Meanwhile a second SIGINT/SIGTERM exits at once and SIGQUIT dumps the stacks.
        """
        while not done(0.2):
            signum = self.signals.wait(0)
            if signum in (signal.SIGINT, signal.SIGTERM):
                _logger.warning("%s received again: exiting at once", signal.Signals(signum).name)
                force_exit()
            if signum == signal.SIGQUIT:
                dump_stacks()
            if self.stop_deadline and time.monotonic() >= self.stop_deadline:
                late()
                return


# Functions called at every stop (graceful or phoenix): close pools, join crons.
stop_hooks = [sql.close_all]


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


def create_first_admin():
    """On an empty users table: user admin, its password printed once to the console."""
    password = users.first_admin()
    if password:
        print(f"First start: user 'admin' created with password {password}\n"
              "It is shown only this once; change it with: python inphms-bin user passwd admin",
              flush=True)


def dev_reload_folders(addons):
    if not {"reload", "all"} & set(config["dev_mode"]):
        return []
    return [addon.path for addon in addons]


def make_server(addons):
    """The server of the configured mode: prefork, evented or threaded."""
    if config["workers"]:
        from .prefork import PreforkServer, cron_worker_main
        return PreforkServer(http.root, cron_main=lambda master: cron_worker_main(addons, master))
    if config["evented"]:
        from .gevent_server import GeventServer
        return GeventServer(http.root, watch=dev_reload_folders(addons))
    return ThreadedServer(http.root, watch=dev_reload_folders(addons))


def start(stop=False):
    """Load the addons, build the Application, serve; returns the exit code."""
    addons = module.load_addons(config)
    sql.init_database(config, addons)
    create_first_admin()
    printcapture.install()
    http.root.setup(addons)
    http.root.registry      # index the addons now, so overrides are logged at start-up
    metrics.setup(config, multiprocess=bool(config["workers"]))
    server = make_server(addons)
    server.addons = addons
    rc = server.run(stop)
    if server.phoenix:
        reexec(server.handoff_fd)
    return rc
