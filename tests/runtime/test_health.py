"""/health/live and /health/ready of the real server: a graceful stop or a
reload turns readiness off while the server still serves; a frozen database
makes readiness answer 503 in bounded time; successful checks stay out of
the access log."""
import os
import signal
import time

import pytest

from tests.support.process import stop_every_thread
from tests.support.wait import wait_for


def ready(server):
    status, headers, body = server.get("/health/ready", timeout=5)
    return status, body.decode()


@pytest.mark.parametrize("mode", [{}, {"evented": 1}], ids=["threaded", "evented"])
def test_live_and_ready_answer_and_stay_out_of_the_access_log(server_factory, mode):
    server = server_factory(**mode)
    status, headers, body = server.get("/health/live")
    assert status == 200 and body == b"live\n"
    assert headers["Cache-Control"] == "no-store"
    assert ready(server) == (200, "ready: database ok\n")
    assert server.get("/lib/bootstrap.LICENSE")[0] == 200
    log = server.wait_log("GET /lib/bootstrap.LICENSE 200")
    assert "/health/" not in log
    # a failing check is logged: /health/nothing is a 404
    assert server.get("/health/nothing")[0] == 404
    server.wait_log("GET /health/nothing 404")


@pytest.mark.parametrize("signum, reason", [(signal.SIGTERM, "stopping"),
                                            (signal.SIGHUP, "reloading")])
def test_readiness_turns_off_when_a_stop_or_reload_begins(server_factory, signum, reason):
    server = server_factory(drain_delay=3)
    assert ready(server)[0] == 200
    pid = server.pid
    server.signal(signum)
    server.wait_log("readiness: not ready from now on")
    # still accepting and serving, but no longer ready
    assert ready(server) == (503, f"not ready: draining ({reason})\n")
    status, headers, _ = server.get("/health/ready")
    assert headers["Retry-After"] == "5"
    assert server.get("/health/live")[0] == 200
    assert server.get("/lib/bootstrap.LICENSE")[0] == 200
    if signum == signal.SIGTERM:
        assert server.wait(15) == 0
        with pytest.raises(OSError):
            server.get("/health/live", timeout=2)
        return
    # the reloaded image (same pid) is ready again
    server.wait_log("HTTP service", count=2)
    wait_for(lambda: ready(server)[0] == 200, 15, "the reloaded image to be ready", step=0.1)
    assert server.pid == pid


def test_prefork_workers_drain_on_sigterm(server_factory):
    server = server_factory(workers=2, drain_delay=3, max_cron_threads=0)
    assert ready(server)[0] == 200
    server.signal(signal.SIGTERM)
    server.wait_log("readiness: not ready from now on", count=2)
    assert ready(server)[0] == 503
    assert server.get("/lib/bootstrap.LICENSE")[0] == 200
    assert server.wait(15) == 0


@pytest.mark.parametrize("mode", [{}, {"evented": 1}], ids=["threaded", "evented"])
def test_frozen_database_makes_readiness_503_in_bounded_time(server_factory, mariadb, mode):
    db = mariadb.options(mariadb.create_database())
    server = server_factory(max_cron_threads=0, **db, **mode)
    assert ready(server) == (200, "ready: database ok\n")
    # on purpose, time itself: readiness keeps its database look for 1 s
    # (CHECK_TTL), and the look after the stop must be a fresh one
    time.sleep(1.1)
    stop_every_thread(mariadb.proc.pid)
    try:
        started = time.monotonic()
        status, text = ready(server)
        took = time.monotonic() - started
        assert status == 503 and "did not answer within 2 s" in text
        assert took < 4
        assert server.get("/health/live")[0] == 200
    finally:
        os.kill(mariadb.proc.pid, signal.SIGCONT)
    wait_for(lambda: ready(server)[0] == 200, 15, "readiness once the database answers again",
             step=0.2)
    mariadb.drop_database(db["db_name"])
