"""A real server on the private MariaDB, with the database frozen, down and starved.

- frozen (mariadbd stopped with SIGSTOP for a few seconds): every request is
  answered within the configured bounds, long before the thaw; pages 503
  with Retry-After, API calls HTTP 200 with allow 0 and retry_after; the
  service is back as soon as the database is (SIGCONT);
- down (mariadbd stopped): the same answers, one warning line per failed
  request and no traceback; back after a restart;
- a write sent just before the database stops (the API stops it, after its
  session lookup): answered "unknown", and the row is there after the thaw;
- starved: 200 API calls that each hold a connection 2 s on db_maxconn = 4;
  pages keep answering: the session lookup has its own connections, and
  the threaded server's request pool serves the pages ahead of the slow
  route and keeps threads the slow calls cannot take.

The figures are printed for the issue's note (latencies are measured, not
asserted beyond the issue's bounds).
"""
import json
import os
import signal
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from inphms.config import OPTIONS_BY_NAME
from tests.support.client import new_session, request
from tests.support.process import stop_every_thread
from tests.support.server import InphmsProcess

ADDONS = Path(__file__).resolve().parent / "dbfail_addons"
# SLEEP(2) fits under the statement limit, and the read timeout is a little over it
OPTIONS = dict(db_connect_timeout=2, db_read_timeout=4, db_write_timeout=2, db_statement_timeout=3,
               db_pool_wait=2, db_retry_after=4, db_maxconn=4, db_session_conns=2,
               max_cron_threads=0)


@pytest.fixture(scope="module")
def site(mariadb, tmp_path_factory):
    name = mariadb.create_database()
    work = tmp_path_factory.mktemp("dbfail")
    options = dict(OPTIONS, **mariadb.options(name), addons_path=str(ADDONS))
    server = InphmsProcess(work, **known(options))
    server.start()
    server.ses = new_session(server.config_path, user_id=1)
    yield server
    server.stop()
    if mariadb.proc is None:
        mariadb.start()
    mariadb.drop_database(name)


def known(options):
    """The options this inphms has (the same test measures a build without the db_* limits)."""
    return {k: v for k, v in options.items() if k in OPTIONS_BY_NAME or k.startswith("db_host")}


def page(site, timeout=30):
    started = time.monotonic()
    status, headers, body = request(site.port, "GET", f"/cgi-bin/p?app=start&ses={site.ses}",
                                    timeout=timeout)
    return status, headers, body, time.monotonic() - started


def call(site, meth, inp=None, timeout=30):
    started = time.monotonic()
    body = {"info": {"ses": site.ses}, "input": inp or {}}
    status, headers, raw = request(site.port, "POST", f"/cgi-bin/api?meth={meth}", body,
                                   timeout=timeout)
    return status, headers, json.loads(raw)["server"], time.monotonic() - started


def assert_page_unavailable(answer):
    status, headers, body, _ = answer
    assert status == 503 and headers["Retry-After"] == "4", (status, body[:300])
    assert b"Service unavailable" in body and headers["Content-Type"].startswith("text/html")


def assert_api_unavailable(answer):
    status, headers, server, _ = answer
    assert status == 200 and headers["Retry-After"] == "4", (status, server)
    assert server["allow"] == 0 and server["unavailable"] == 1 and server["retry_after"] == 4
    assert server["err"] and server["msg"]


def healthy(site):
    assert page(site)[0] == 200
    status, _, server, _ = call(site, "api_count")
    assert status == 200 and server["allow"] == 1


def wait_back(site, limit=20):
    """Seconds until a page and an API call answer normally again."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if page(site, 10)[0] == 200 and call(site, "api_count", timeout=10)[2]["allow"] == 1:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not back {limit} s after the database")


def test_a_frozen_database_answers_every_request_within_the_bounds(site, mariadb):
    healthy(site)
    freeze = 15
    log_before = len(site.log())
    stop_every_thread(mariadb.proc.pid)
    frozen_at = time.monotonic()
    try:
        with ThreadPoolExecutor(16) as pool:
            # a wave at once, and new visitors arriving during the freeze
            pages = [pool.submit(page, site) for _ in range(8)]
            apis = [pool.submit(call, site, "api_count") for _ in range(8)]
            time.sleep(4)   # on purpose: new visitors arrive 4 s into the freeze
            pages += [pool.submit(page, site) for _ in range(4)]
            apis += [pool.submit(call, site, "api_put", {"k": "frozen"}) for _ in range(2)]
            apis += [pool.submit(call, site, "api_raw", {"k": "frozen"}) for _ in range(2)]
            pages = [f.result() for f in pages]
            apis = [f.result() for f in apis]
        answered = time.monotonic() - frozen_at
        static = request(site.port, "GET", "/lib/web.css")[0]
        assert answered < freeze, "every request was answered while the database was frozen"
        time.sleep(max(0, freeze - (time.monotonic() - frozen_at)))    # on purpose: the freeze lasts its length
    finally:
        os.kill(mariadb.proc.pid, signal.SIGCONT)
    back = wait_back(site)
    slowest = max(a[-1] for a in pages + apis)
    print(f"\nfrozen {freeze} s: {len(pages)} pages and {len(apis)} API calls all answered within "
          f"{answered:.1f} s (slowest {slowest:.1f} s); service back {back:.1f} s after SIGCONT")
    for answer in pages:
        assert_page_unavailable(answer)
    for answer in apis:
        status, headers, server, _ = answer
        if server["allow"] == 0 and "unavailable" not in server:
            # api_put's own answer to insert_to_sql's status 0 (unknown: 1 when its
            # INSERT went out and was never confirmed)
            assert server["msg"] == "not saved" and status == 200, server
            continue
        assert_api_unavailable(answer)
        if server.get("unknown"):
            assert "outcome of a write is unknown" in server["msg"]
    assert static == 200
    log = site.log()[log_before:]
    assert "Traceback" not in log and " ERROR " not in log
    healthy(site)


def test_a_write_whose_answer_never_comes_is_answered_unknown(site, mariadb):
    """The API stops the database after its session lookup: the write goes out, no answer comes.

    (Stopped before a connection is opened, the write would never go out: a
    plain "unavailable", not unknown.)
    """
    answers = []
    for meth in ("api_raw", "api_put"):
        healthy(site)       # an open connection in the pool: the write goes out on it
        try:
            answers.append(call(site, meth, {"k": f"doubt-{meth}", "stop": mariadb.proc.pid}))
        finally:
            os.kill(mariadb.proc.pid, signal.SIGCONT)
    raw, put = answers
    assert_api_unavailable(raw)
    assert raw[2]["unknown"] == 1 and "outcome of a write is unknown" in raw[2]["msg"]
    status, _, server, took = put
    assert status == 200 and server["allow"] == 0 and server["msg"] == "not saved"
    assert server["unknown"] == 1 and server["status"] == 0 and "outcome is unknown" in server["err"]
    assert max(raw[-1], took) < 10
    mariadb.wait_statements_done(site.options["db_name"])      # the thawed writes ended
    from tests.support.db import query
    saved = {w[0] for w in query(site.config_path, "SELECT key1 FROM gen WHERE key1 LIKE %s", ("doubt-%",))}
    print(f"\nwrites answered unknown: 2, saved all the same once the database went on: {sorted(saved)}")
    healthy(site)


def test_a_database_that_is_down_gets_one_line_per_failed_request(site, mariadb):
    healthy(site)
    mariadb.stop()
    log_before = len(site.log())
    try:
        pages = [page(site) for _ in range(10)]
        apis = [call(site, "api_count") for _ in range(10)]
    finally:
        mariadb.start()
    for answer in pages:
        assert_page_unavailable(answer)
    for answer in apis:
        assert_api_unavailable(answer)
    log = site.log()[log_before:]
    lines = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    print(f"\ndatabase down: {len(pages) + len(apis)} failed requests, {len(lines)} warning/error "
          f"lines, {log.count('Traceback')} tracebacks, slowest answer "
          f"{max(a[-1] for a in pages + apis):.2f} s")
    assert "Traceback" not in log
    assert len(lines) == len(pages) + len(apis), "\n".join(lines)
    assert all("database unavailable for" in line for line in lines)
    wait_back(site)
    healthy(site)


@pytest.fixture(scope="module", params=["threaded", "evented"])
def busy_site(request, mariadb, tmp_path_factory):
    """A server with db_maxconn = 4, threaded (the request pool) or evented."""
    name = mariadb.create_database()
    work = tmp_path_factory.mktemp("dbbusy")
    options = dict(OPTIONS, **mariadb.options(name), addons_path=str(ADDONS))
    if request.param == "evented":
        options["evented"] = 1
    elif os.environ.get("TEST_MAX_HTTP_REQUESTS"):
        # threaded with the default request pool (max_http_requests = 2), or
        # the size given here (0: a thread per connection)
        options["max_http_requests"] = int(os.environ["TEST_MAX_HTTP_REQUESTS"])
    server = InphmsProcess(work, **known(options))
    server.mode = request.param
    server.start()
    server.ses = new_session(server.config_path, user_id=1)
    yield server
    server.stop()
    mariadb.drop_database(name)


def test_slow_statements_on_every_connection_do_not_starve_the_pages(busy_site):
    site = busy_site
    healthy(site)
    calls = 200
    results = []
    latencies = []
    sent_at = []        # seconds after the start each page was sent
    stop = threading.Event()

    def pages_meanwhile():
        while not stop.is_set():
            sent = time.monotonic() - started
            status, _, _, took = page(site)
            latencies.append((status, took))
            sent_at.append(sent)
            time.sleep(0.05)
    watcher = threading.Thread(target=pages_meanwhile)
    started = time.monotonic()
    watcher.start()
    try:
        with ThreadPoolExecutor(100) as pool:
            results = list(pool.map(lambda _: call(site, "api_slow", {"s": 2}, timeout=60),
                                    range(calls)))
    finally:
        stop.set()
        watcher.join(30)
    took = time.monotonic() - started
    done = sum(1 for r in results if r[2]["allow"] == 1)
    busy = sum(1 for r in results if r[2].get("unavailable"))
    statuses = sorted({r[0] for r in results})
    times = sorted(t for _, t in latencies)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"\n{site.mode}: {calls} calls of 2 s on db_maxconn = 4 in {took:.1f} s: {done} done, "
          f"{busy} answered 'unavailable, retry after 4 s', HTTP statuses {statuses}; meanwhile "
          f"{len(times)} pages, statuses {sorted({s for s, _ in latencies})}, median "
          f"{statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms, over 1 s: "
          f"{[f'{t:.1f} s sent at {at:.1f} s' for (_, t), at in zip(latencies, sent_at) if t > 1]}")
    assert statuses == [200] and done + busy == calls and done >= 4
    assert {s for s, _ in latencies} == {200}
    assert p99 < 1.0
    # nor a single page waiting a round of the slow calls (2 s each) in their queue
    assert times[-1] < 3.0
    log = site.log()
    assert "Traceback" not in log
