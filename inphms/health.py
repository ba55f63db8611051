"""The health of this process, as a load balancer asks for it.

- liveness: the process answers HTTP (``/health/live``); nothing else is
  looked at, so a database outage never makes an orchestrator kill servers
  that would serve again once it is back.
- readiness (``/health/ready``): the process should get new requests.  It
  is not ready once a graceful stop or reload has begun (``begin_draining``,
  called by the server before it stops accepting), nor when the database
  does not answer, nor, on a Galera cluster, when the node it talks to is
  not ``Synced`` with ``wsrep_ready`` ON (a node cut off from the others'
  quorum refuses statements, and one still joining has no current data).

The database is looked at by one background thread at a time, at most once
per ``CHECK_TTL`` seconds whatever the number of load balancers asking; a
request waits at most ``CHECK_WAIT`` seconds for that look, so a frozen
database makes readiness answer "not ready" in bounded time, never hang.

Successful health checks are kept out of the access log (``QuietHealthChecks``):
a load balancer asks every few seconds per server, and those lines would
drown the requests of users.  A failing one is logged, and at
``log_level = debug`` every one is.
"""
import logging
import re
import threading
import time

from .sql import cursor

_logger = logging.getLogger(__name__)

CHECK_TTL = 1.0         # seconds a database look answers readiness
CHECK_WAIT = 2.0        # seconds a readiness request waits for a look
HEALTH_PREFIX = "/health/"
GALERA_STATUS = ("SHOW GLOBAL STATUS WHERE Variable_name IN "
                 "('wsrep_ready', 'wsrep_local_state_comment')")


class Draining:
    """Why this process no longer wants requests ("stopping", "reloading"), or None."""
    reason = None


def begin_draining(reason):
    """From now on readiness answers not ready: the process is about to stop accepting."""
    if Draining.reason is None:
        _logger.info("readiness: not ready from now on (%s)", reason)
    Draining.reason = reason


def draining():
    return Draining.reason


def database_state():
    """(ready, reason): the database answers, and a Galera node is synced and ready."""
    with cursor() as cr:
        if cr.engine.name != "mysql":
            cr.execute("SELECT 1")
            cr.fetchall()
            return True, "database ok"
        cr.execute("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
        w = cr.fetchone()
        if w is None or str(w[1]).upper() != "ON":
            return True, "database ok"      # not a Galera node
        cr.execute(GALERA_STATUS)
        status = {str(w[0]).lower(): str(w[1]) for w in cr.fetchall()}
    ready = status.get("wsrep_ready", "OFF")
    state = status.get("wsrep_local_state_comment", "unknown")
    if ready != "ON" or state != "Synced":
        return False, f"galera node not ready (wsrep_ready {ready}, state {state})"
    return True, "database ok (galera node synced)"


class DatabaseCheck:
    """The latest look at the database, refreshed by one thread at a time."""

    def __init__(self, look=database_state):
        self.look = look
        self.lock = threading.Lock()
        self.result = None
        self.at = 0.0
        self.running = None     # the Event of the look under way

    def state(self):
        with self.lock:
            if self.result is not None and time.monotonic() - self.at < CHECK_TTL:
                return self.result
            running = self.running
            if running is None:
                running = self.running = threading.Event()
                threading.Thread(target=self.refresh, args=(running,), name="inphms.health",
                                 daemon=True).start()
        if not running.wait(CHECK_WAIT):
            return False, f"the database did not answer within {CHECK_WAIT:g} s"
        with self.lock:
            return self.result

    def refresh(self, running):
        try:
            result = self.look()
        except Exception as exc:
            # SqlError mostly; anything else is as much a reason not to take requests
            result = False, f"database unavailable: {exc}"
        with self.lock:
            self.result, self.at, self.running = result, time.monotonic(), None
        running.set()


database = DatabaseCheck()


def readiness():
    """(ready, reason) of this process."""
    reason = draining()
    if reason is not None:
        return False, f"draining ({reason})"
    return database.state()


class QuietHealthChecks(logging.Filter):
    """Drops the access-log line of a health check that answered 2xx (unless debugging).

    The access line reads ``client method target status 1.2ms``
    (inphms.httpserver.accesslog); only the health paths' lines are parsed.
    """

    def filter(self, record):
        line = record.getMessage()
        if HEALTH_PREFIX not in line:
            return True
        found = HEALTH_LINE_RE.search(line)
        if found is None or not found.group(1).startswith(HEALTH_PREFIX):
            return True
        return logging.getLogger("inphms.access").isEnabledFor(logging.DEBUG)


# method, target, a 2xx status, the time: the end of an access line
HEALTH_LINE_RE = re.compile(r" [A-Z]+ (\S+) 2\d\d [\d.]+ms$")


logging.getLogger("inphms.access").addFilter(QuietHealthChecks())
