"""Cron in the real server process: failing and long jobs, SIGTERM/SIGHUP, max_cron_threads 0.

Addons: cronbook (tick, every 2 s) and cronslow (slow: 4 s per run, every
1 s, deaf to the stop; boom: raises, every 1 s).  Each job writes its steps
to cron_book, so the test reads what ran, where and in which order.
"""
import signal
import time

from inphms.service.cron_table import as_time
from tests.support.wait import port_answers, wait_for

LICENSE = "/lib/bootstrap.LICENSE"


def steps(db, name=None):
    """[(id, name, what, pid, due)] of cron_book, in order."""
    q = "SELECT id, name, what, pid, due FROM cron_book"
    rows = db.query(q + " WHERE name = %s ORDER BY id", (name,)) if name else db.query(q + " ORDER BY id")
    return [(w[0], w[1], w[2], w[3], as_time(w[4])) for w in rows]


def running_slow(db):
    """The 'start' step of a slow run that has not written 'done' yet, or None."""
    s = steps(db, "slow")
    if s and s[-1][2] == "start":
        return s[-1]
    return None


def finished(db, start):
    return [w for w in steps(db, "slow") if w[2] == "done" and w[4] == start[4] and w[3] == start[3]]


def test_failing_job_is_logged_stored_and_rerun_long_job_blocks_nothing(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book", "slow").make(max_cron_threads=2)
    start = wait_for(lambda: running_slow(db), 20)
    assert start, server.log()
    status, _, body = server.get(LICENSE)
    assert status == 200 and body.rstrip().endswith(b"SOFTWARE.")
    assert not finished(db, start), "HTTP must answer while a job runs"
    assert wait_for(lambda: finished(db, start), 20)
    # while slow ran, the other thread ran the other jobs
    done = finished(db, start)[0]
    between = [w for w in steps(db) if start[0] < w[0] < done[0] and w[1] in ("tick", "boom")]
    assert between, steps(db)
    # boom: logged with its traceback, stored, and run again at its next time
    assert wait_for(lambda: len(steps(db, "boom")) >= 2, 20), steps(db)
    log = server.wait_log("cron job boom failed")
    assert "Traceback (most recent call last)" in log and "ValueError: boom" in log
    w = db.query("SELECT last_status, last_error, lease_until FROM cron WHERE name = 'boom'")[0]
    assert w[0] == "error" and w[1].startswith("ValueError: boom ")
    tries = steps(db, "boom")
    assert len({t[4] for t in tries}) == len(tries), "each run is a new tick"
    # the cron threads have their names
    server.signal(signal.SIGQUIT)
    log = server.wait_log("SIGQUIT: stacks of")
    assert "# thread inphms.cron.0 " in log and "# thread inphms.cron.1 " in log


def test_sigterm_lets_a_running_job_finish(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book", "slow").make(max_cron_threads=1)
    start = wait_for(lambda: running_slow(db), 20)
    assert start and start[3] == server.pid, server.log()
    server.signal(signal.SIGTERM)
    assert server.wait(60) == 0, server.log()
    assert finished(db, start), "the stop did not wait for the job:\n" + server.log()
    starts = [w for w in steps(db, "slow") if w[2] == "start"]
    assert starts[-1] == start, "a job was started after SIGTERM"
    assert "cron job slow ok" in server.log()


def test_sighup_lets_a_running_job_finish_then_cron_runs_in_the_new_image(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book", "slow").make(max_cron_threads=1)
    start = wait_for(lambda: running_slow(db), 20)
    assert start, server.log()
    server.signal(signal.SIGHUP)
    server.wait_log("stopped, re-executing", timeout=60)
    assert finished(db, start), "the reload did not wait for the job:\n" + server.log()
    server.wait_ready(30)
    assert server.proc.poll() is None
    done = finished(db, start)[0]
    later = wait_for(lambda: [w for w in steps(db, "slow") if w[0] > done[0] and w[2] == "start"], 20)
    assert later and later[0][3] == server.pid, "cron must run again after the reload"
    assert server.log().count("cron: 1 thread(s)") == 2


def test_a_job_running_past_limit_time_real_does_not_hold_the_stop(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book", "slow").make(max_cron_threads=1, limit_time_real=1)
    start = wait_for(lambda: running_slow(db), 20)
    assert start, server.log()
    server.signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert "cron job(s) slow still running after limit_time_real (1s)" in server.log()
    assert not finished(db, start)


def test_a_second_sigterm_does_not_wait_for_the_job(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book", "slow").make(max_cron_threads=1)
    start = wait_for(lambda: running_slow(db), 20)
    assert start, server.log()
    server.signal(signal.SIGTERM)
    server.wait_log("stopping gracefully")
    # past the shutdown (the port is closed), the main thread is found waiting for the job
    wait_for(lambda: not port_answers(server.port), 10, "the listening socket to close")
    server.signal(signal.SIGQUIT)
    assert "in wait_cron" in server.wait_log("SIGQUIT: stacks of")
    assert server.proc.poll() is None, "the first SIGTERM waits for the job"
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 1
    assert "SIGTERM received again: exiting at once" in server.log()
    assert not finished(db, start)


def test_max_cron_threads_0_runs_no_cron(sqlite_crondb, servers):
    db = sqlite_crondb
    server = servers(db, "book").make(max_cron_threads=0)
    status, _, _ = server.get(LICENSE)
    assert status == 200
    # a window, with its reason: with a cron thread, book's tick (every 2 s)
    # books a step within one tick of the start; 3 s is that tick and more
    time.sleep(3)
    assert steps(db) == []
    assert db.value("SELECT COUNT(*) FROM cron") == 0
    assert "cron:" not in server.log()
    server.signal(signal.SIGQUIT)
    assert "# thread inphms.cron." not in server.wait_log("SIGQUIT: stacks of")
