"""Cron: the threads that run due jobs, and the running of one job.

``CronRunner(addons).start()`` finds the jobs of the loaded addons
(cron_jobs), registers them in the ``cron`` table (cron_table) and spawns
``max_cron_threads`` threads named ``inphms.cron.<n>``.  Each thread looks
for a due job, claims it with one atomic UPDATE (so several servers on one
database run each due job once), runs it, records the result, and then
waits on an Event until the next job may be due (at most ``POLL_MAX``
seconds, so a job an operator switches on, or a lease that expires, is
seen soon).  ``stop(timeout)`` stops the claiming, tells running jobs the
server is stopping (``data["stop"]``) and waits for them up to ``timeout``.

A CronRunner needs only the loaded addons and a database pool in its own
process, so whichever process should run cron (the threaded server, a
prefork master) starts one; a process that must not run cron simply does
not.  ``run_job`` is also what ``inphms-bin cron run JOB`` calls.

The ``data`` a job gets:

- ``now``: the database's time when the job was claimed (naive UTC datetime)
- ``due``: the tick being run (the job's ``next_run`` when it was claimed)
- ``job``: the job's name; ``config``: the server's configuration
- ``addons``: the loaded addons (``.name``, ``.path``, ``.manifest``)
- ``stop``: a threading.Event set when the server stops; a long job may end early
- ``until``: a ``time.monotonic()`` value; a job still running then risks
  outliving its lease (``timeout``), after which another server may run it
"""
import logging
import os
import secrets
import socket
import threading
import time
import traceback

from inphms import metrics
from inphms.config import config
from inphms.sql import SqlError

from . import cron_jobs, cron_table

_logger = logging.getLogger(__name__)

POLL_MAX = 5.0          # longest wait between two looks at the cron table
POLL_MIN = 0.2          # shortest, so a job that cannot be claimed is no busy loop
ERROR_WAIT = 10.0       # wait after the database failed
LEASE_USE = 0.9         # part of the lease a job should use (data["until"])


def owner_name():
    """Who holds a lease: host, pid and thread (to find the process), and a claim token."""
    name = f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"
    return f"{name[:240]}:{secrets.token_hex(4)}"


def last_line(exc):
    """The last line of the exception's traceback: 'ValueError: bad row 12'."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def run_job(job, claim, stop=None, addons=(), manual=False, conf=None):
    """Run a claimed job and record its result; returns (status, error).

    An exception of the job is logged with its traceback and stored (status
    'error', last_error its last line); the job runs again at its next tick.
    """
    data = {"now": claim.now, "due": claim.due, "job": job.name,
            "config": conf if conf is not None else config, "addons": list(addons),
            "stop": stop if stop is not None else threading.Event(),
            "until": time.monotonic() + job.timeout * LEASE_USE}
    started = time.monotonic()
    _logger.debug("cron job %s started (%s)", job.name,
                  "run by hand" if manual else f"tick {claim.due} UTC")
    try:
        out = job.func(data)
    except BaseException as exc:
        _logger.error("cron job %s failed after %.2fs", job.name, time.monotonic() - started,
                      exc_info=True)
        record(job, claim, "error", last_line(exc), manual)
        metrics.cron_run(job.name, "error")
        if isinstance(exc, KeyboardInterrupt):
            raise       # Ctrl-C of `cron run`: recorded, not swallowed
        return "error", last_line(exc)
    said = f": {out}" if isinstance(out, str) and out else ""
    _logger.info("cron job %s ok in %.2fs%s", job.name, time.monotonic() - started, said)
    record(job, claim, "ok", None, manual)
    metrics.cron_run(job.name, "ok")
    return "ok", None


def record(job, claim, status, error, manual):
    try:
        kept = cron_table.finish(claim, status, error, job.every, manual)
    except SqlError as exc:
        _logger.error("cron job %s: its result could not be recorded: %s", job.name, exc)
        return
    if not kept:
        _logger.warning("cron job %s ran past its lease (timeout %ss) and another run holds it "
                        "now; this run's result is not recorded", job.name, job.timeout)


class CronRunner:
    """The cron threads of one process."""

    def __init__(self, addons, threads=None, conf=None):
        self.addons = list(addons)
        self.conf = conf if conf is not None else config
        self.count = self.conf["max_cron_threads"] if threads is None else threads
        self.jobs = {}
        self.threads = []
        self.running = {}               # {thread name: job name}
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.registered = False
        self.failing = False

    def start(self):
        if self.count <= 0:
            return self
        self.jobs = cron_jobs.discover(self.addons)
        listed = ", ".join(f"{j.name} ({j.every}s)" for j in self.jobs.values()) or "none"
        _logger.info("cron: %d thread(s), jobs: %s", self.count, listed)
        for n in range(self.count):
            # Daemon threads: a job still running after stop()'s timeout must
            # not keep the process from exiting or re-executing itself.
            t = threading.Thread(target=self.loop, name=f"inphms.cron.{n}", daemon=True)
            self.threads.append(t)
            t.start()
        return self

    # -- the threads -----------------------------------------------------------
    def loop(self):
        while not self.stopping.is_set():
            try:
                wait = self.tick()
                self.recovered()
            except SqlError as exc:
                self.failed(exc)
                wait = ERROR_WAIT
            except Exception:
                _logger.exception("cron: unexpected error; going on in %ss", ERROR_WAIT)
                wait = ERROR_WAIT
            if wait:
                self.stopping.wait(wait)

    def tick(self):
        """Run one due job when there is one; the seconds to wait before the next look."""
        self.register()
        if not self.jobs:
            return POLL_MAX
        due, soon = cron_table.poll(self.jobs)
        for name in due:
            if self.stopping.is_set():
                return 0
            job = self.jobs[name]
            claim = cron_table.claim(name, owner_name(), job.timeout)
            if claim is None:
                continue        # another thread or server was first
            self.run(job, claim)
            return 0            # look again at once: another job may be due
        if soon is None:
            return POLL_MAX
        return min(POLL_MAX, max(POLL_MIN, soon))

    def register(self):
        if self.registered:
            return
        with self.lock:
            if not self.registered:
                cron_table.register(self.jobs)
                self.registered = True

    def run(self, job, claim):
        me = threading.current_thread().name
        self.running[me] = job.name
        try:
            run_job(job, claim, self.stopping, self.addons, conf=self.conf)
        finally:
            self.running.pop(me, None)

    def failed(self, exc):
        # One line per outage, not one per poll of every thread.
        with self.lock:
            if self.failing:
                return
            self.failing = True
        _logger.warning("cron: database unavailable (%s); retrying every %ss", exc, ERROR_WAIT)

    def recovered(self):
        if not self.failing:
            return
        with self.lock:
            was, self.failing = self.failing, False
        if was:
            _logger.info("cron: database available again")

    # -- stop ------------------------------------------------------------------
    def request_stop(self):
        """Claim no more jobs and tell running ones (``data["stop"]``); returns at once."""
        self.stopping.set()

    def stop(self, timeout=None):
        """Stop claiming; wait up to ``timeout`` s for running jobs; True when all ended."""
        self.stopping.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self.threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            t.join(left)
        return not any(t.is_alive() for t in self.threads)

    def busy(self):
        """Names of the jobs running now."""
        return sorted(set(dict(self.running).values()))     # a copy: threads change it
