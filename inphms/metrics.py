"""Prometheus metrics of the server (``metrics_enable``), kept by prometheus_client.

Off by default; ``setup()`` turns them on at start-up, before the server is
built.  What is measured:

- ``inphms_http_requests_total{kind,status}``: answered requests; kind is
  the dispatcher's (page, api, static, root, health, metrics; other for a
  path no dispatcher takes).
- ``inphms_http_request_duration_seconds{kind}``: a histogram of the time
  until the answer is ready to send (a static file's sending is not in it).
- ``inphms_http_requests_in_flight``, ``inphms_threads``,
  ``inphms_db_pool_in_use``, ``inphms_db_pool_waiting``, ``inphms_db_pool_open``:
  gauges, summed over the live processes.
- ``inphms_cron_runs_total{job,status}``: cron runs, ``status="error"`` the failed ones.
- ``inphms_server_reloads``: reloads (SIGHUP, memory) since the server was
  started; the count crosses the re-exec in ``INPHMS_RELOADS``.

A prefork server (``workers``) uses prometheus_client's multiprocess mode:
each process writes its values to files in ``metrics_dir`` and whichever
worker answers ``/metrics`` adds them up; the master empties the folder at
a fresh start (not at a reload's re-exec, whose old workers still write)
and removes a dead worker's gauges.  The gauges read from other modules
(threads, pool) are refreshed at most once a second per process, and at
every scrape in the answering process.

``/metrics`` answers only clients in ``metrics_allow`` (addresses or
networks; behind a proxy with ``proxy_mode``, the client the proxy names).
"""
import importlib.util
import ipaddress
import os
import shutil
import threading
import time

from . import errors
from .config import networks
from .sql.process import State as PoolState

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
RELOADS_ENV = "INPHMS_RELOADS"
REFRESH = 1.0           # seconds between two refreshes of the read gauges
# latency buckets, in seconds: fine steps where pages and API calls usually
# answer (a few milliseconds), coarse ones up to the slow and the stuck
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class State:
    metrics = None      # the Metrics of this process when on
    allow = ()
    multiprocess = False


def on():
    return State.metrics is not None


def setup(config, multiprocess=False):
    """Turn metrics on when ``metrics_enable`` is set; False when they stay off."""
    if not config["metrics_enable"]:
        return False
    State.allow = networks("metrics_allow", config["metrics_allow"])
    # not imported yet: its multiprocess mode is chosen by the environment at import
    if importlib.util.find_spec("prometheus_client") is None:
        raise errors.ConfigError("option metrics_enable needs prometheus_client: "
                                 "pip install 'inphms[metrics]'") from None
    if multiprocess:
        folder = config["metrics_dir"] or os.path.join(config["data_dir"], "metrics")
        if os.environ.get(MULTIPROC_ENV) != folder:
            # a fresh start: the files of an earlier run would add to ours
            shutil.rmtree(folder, ignore_errors=True)
            os.environ[MULTIPROC_ENV] = folder
        os.makedirs(folder, exist_ok=True)
    else:
        os.environ.pop(MULTIPROC_ENV, None)
    State.multiprocess = multiprocess
    State.metrics = Metrics(multiprocess)
    return True


def allowed(address):
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in State.allow)


class Metrics:
    """The metric objects of this process."""

    def __init__(self, multiprocess):
        # imported here: multiprocess mode is chosen by the environment at import
        # lazy: an optional extra, and its multiprocess mode is read from the environment
        # at import, which setup() sets first
        import prometheus_client as pc
        self.pc = pc
        self.registry = pc.CollectorRegistry(auto_describe=True)
        reg = None if multiprocess else self.registry
        live = {"multiprocess_mode": "livesum"}
        self.requests = pc.Counter("inphms_http_requests", "HTTP requests answered",
                                   ["kind", "status"], registry=reg)
        self.latency = pc.Histogram("inphms_http_request_duration_seconds",
                                    "time until the answer is ready to send", ["kind"],
                                    buckets=BUCKETS, registry=reg)
        self.in_flight = pc.Gauge("inphms_http_requests_in_flight", "requests being served",
                                  registry=reg, **live)
        self.threads = pc.Gauge("inphms_threads", "threads of the server's processes",
                                registry=reg, **live)
        self.pool_open = pc.Gauge("inphms_db_pool_open", "open database connections",
                                  registry=reg, **live)
        self.pool_in_use = pc.Gauge("inphms_db_pool_in_use", "database connections borrowed",
                                    registry=reg, **live)
        self.pool_waiting = pc.Gauge("inphms_db_pool_waiting",
                                     "requests waiting for a database connection", registry=reg,
                                     **live)
        self.cron = pc.Counter("inphms_cron_runs", "cron job runs (status error: failed)",
                               ["job", "status"], registry=reg)
        self.reloads = pc.Gauge("inphms_server_reloads", "reloads since the server was started",
                                registry=reg, multiprocess_mode="max")
        self.reloads.set(int(os.environ.get(RELOADS_ENV, "0") or 0))
        if not multiprocess:
            pc.ProcessCollector(registry=self.registry)
        self.refreshed = 0.0
        # the labelled children, looked up without prometheus_client's lock
        self.counted = {}
        self.timed = {}

    def count(self, kind, status, seconds):
        child = self.counted.get((kind, status))
        if child is None:
            child = self.counted[(kind, status)] = self.requests.labels(kind, status)
        child.inc()
        child = self.timed.get(kind)
        if child is None:
            child = self.timed[kind] = self.latency.labels(kind)
        child.observe(seconds)

    def refresh(self):
        self.refreshed = time.monotonic()
        self.threads.set(threading.active_count())
        pool = PoolState.pool
        if pool is None or PoolState.pid != os.getpid() or pool.closed:
            open_, idle, waiting = 0, 0, 0
        else:
            open_, idle, waiting = pool.count, len(pool.idle), len(pool.waiters)
        self.pool_open.set(open_)
        self.pool_in_use.set(max(0, open_ - idle))
        self.pool_waiting.set(waiting)

    def exposition(self):
        """(the text of every metric, its content type)."""
        pc = self.pc
        self.refresh()
        if State.multiprocess:
            from prometheus_client import multiprocess  # lazy: optional extra, see __init__
            registry = pc.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return pc.generate_latest(registry), pc.CONTENT_TYPE_LATEST
        return pc.generate_latest(self.registry), pc.CONTENT_TYPE_LATEST


def observe(serve, environ, start_response, kind):
    """Serve one request through ``serve``, counting it under ``kind`` (its dispatcher's)."""
    m = State.metrics
    status = ["500"]

    def start(line, headers, exc_info=None):
        status[0] = line[:3]
        return start_response(line, headers, exc_info)

    m.in_flight.inc()
    started = time.perf_counter()
    try:
        return serve(environ, start)
    finally:
        m.count(kind, status[0], time.perf_counter() - started)
        m.in_flight.dec()
        if time.monotonic() - m.refreshed > REFRESH:
            m.refresh()


def cron_run(job, status):
    m = State.metrics
    if m is not None:
        m.cron.labels(job, status).inc()


def process_gone(pid):
    """A prefork child exited: its gauges no longer count."""
    if State.multiprocess and State.metrics is not None:
        from prometheus_client import multiprocess  # lazy: optional extra, see __init__
        multiprocess.mark_process_dead(pid)
