"""The cron table on both engines: discovery, registration, the claim, the result."""
import datetime
import logging
import threading

import pytest

from inphms.service import cron, cron_jobs, cron_table

from tests.cron.conftest import use_addons

pytestmark = pytest.mark.usefixtures("crondb")


def jobs_of(*sets):
    return cron_jobs.discover(use_addons(*sets))


def row(target, name):
    cols = ("every", "is_active", "next_run", "last_run", "last_status", "last_error",
            "lease_until", "lease_owner")
    w = target.query(f"SELECT {', '.join(cols)} FROM cron WHERE name = %s", (name,))
    assert len(w) == 1, f"no cron row {name}"
    d = dict(zip(cols, w[0]))
    for key in ("next_run", "last_run", "lease_until"):
        d[key] = cron_table.as_time(d[key])
    return d


def test_discovery_imports_each_job_once_later_addon_overrides(caplog):
    caplog.set_level(logging.INFO)
    jobs = jobs_of("book", "over")
    assert set(jobs) == {"archive", "ses_expire", "tick"}
    over = jobs["ses_expire"]
    assert over.addon == "cronover" and over.every == 7 and over.timeout == 20
    assert over.code.module_name == "inphms.addons.cronover.cron.ses_expire"
    assert "cron job ses_expire of addon cronover overrides the one of addon base" in caplog.text
    # default lease: max(60, 2 * every)
    assert jobs["tick"].timeout == 60 and jobs["archive"].timeout == 7200
    # broken files are left out, each with its reason
    assert "noevery.py: every must be a whole number" in caplog.text
    assert "has no function nofunc()" in caplog.text
    assert "cron job badimport (" in caplog.text and "No module named" in caplog.text
    again = jobs_of("book", "over")
    assert again["tick"].func is jobs["tick"].func      # imported once per process


def test_register_inserts_new_jobs_keeps_is_active_updates_every(crondb):
    jobs = jobs_of("book")
    cron_table.register(jobs)
    now = crondb.now()
    tick = row(crondb, "tick")
    assert tick["every"] == 2 and tick["is_active"] == 1
    assert abs((tick["next_run"] - now).total_seconds()) <= 2      # a new job is due at once
    assert tick["last_run"] is None and tick["lease_until"] is None
    # the operator switches a job off and the code changes its interval
    crondb.query("UPDATE cron SET is_active = 0, every = 86400, next_run = %s WHERE name = 'tick'",
                 (now + datetime.timedelta(days=1),))
    cron_table.register(jobs)
    cron_table.register(jobs)       # idempotent, also when servers start at once
    tick = row(crondb, "tick")
    assert tick["is_active"] == 0, "registration must keep the operator's is_active"
    assert tick["every"] == 2, "every comes from the code"
    assert tick["next_run"] <= crondb.now() + datetime.timedelta(seconds=3), \
        "a far next run is brought forward to the new interval"
    assert crondb.value("SELECT COUNT(*) FROM cron") == 3


def claim_due(name, timeout=60):
    return cron_table.claim(name, cron.owner_name(), timeout)


def test_claim_is_atomic_between_racing_threads(crondb):
    jobs = jobs_of("book")
    cron_table.register(jobs)
    got = []
    start = threading.Barrier(8)

    def racer():
        start.wait()
        got.append(claim_due("tick"))

    threads = [threading.Thread(target=racer, name=f"racer{i}") for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [c for c in got if c is not None]
    assert len(got) == 8 and len(won) == 1
    w = row(crondb, "tick")
    assert w["lease_owner"] == won[0].owner
    assert w["lease_until"] == won[0].until
    assert (w["lease_until"] - won[0].now).total_seconds() == jobs["tick"].timeout


def test_claim_needs_active_due_and_a_free_or_expired_lease(crondb):
    jobs = jobs_of("book")
    cron_table.register(jobs)
    first = claim_due("tick")
    assert first is not None
    assert claim_due("tick") is None, "a live lease blocks a second claim"
    # the holder died: its lease runs out, then another claims the job
    crondb.query("UPDATE cron SET lease_until = %s WHERE name = 'tick'",
                 (crondb.now() - datetime.timedelta(seconds=5),))
    second = claim_due("tick")
    assert second is not None and second.owner != first.owner
    # the first holder comes back late: its result is not recorded over the new lease
    assert cron_table.finish(first, "ok", None, 2) is False
    assert row(crondb, "tick")["lease_owner"] == second.owner
    assert cron_table.finish(second, "ok", None, 2) is True
    assert claim_due("tick") is None, "not due before its next run"
    crondb.query("UPDATE cron SET next_run = %s, is_active = 0 WHERE name = 'tick'",
                 (crondb.now() - datetime.timedelta(seconds=5),))
    assert claim_due("tick") is None, "is_active = 0 is never claimed"
    # a run by hand (cron run) needs neither, but respects a live lease unless forced
    manual = cron_table.claim("tick", "hand", 60, manual=True)
    assert manual is not None
    assert cron_table.claim("tick", "hand2", 60, manual=True) is None
    assert cron_table.claim("tick", "hand3", 60, manual=True, force=True) is not None


def test_a_failing_job_records_error_and_runs_at_its_next_tick(crondb, caplog):
    jobs = jobs_of("book", "slow")
    cron_table.register(jobs)
    claim = claim_due("boom")
    status, error = cron.run_job(jobs["boom"], claim)
    assert status == "error" and error.startswith("ValueError: boom ")
    w = row(crondb, "boom")
    assert w["last_status"] == "error" and w["last_error"] == error
    assert w["lease_until"] is None and w["lease_owner"] is None
    # the next tick of its grid after the run ended: due + 1 s, or a later
    # tick when the failing run (its traceback logged) took over a second
    step = datetime.timedelta(seconds=1)
    assert (w["next_run"] - claim.due) % step == datetime.timedelta(0)
    assert claim.now < w["next_run"] and w["next_run"] - step <= crondb.now()
    assert w["last_run"] == claim.now
    assert "cron job boom failed" in caplog.text and "Traceback" in caplog.text
    assert 'raise ValueError(f"boom {n}")' in caplog.text
    # a good run clears the error
    claim = claim_due("tick")
    assert cron.run_job(jobs["tick"], claim) == ("ok", None)
    w = row(crondb, "tick")
    assert w["last_status"] == "ok" and w["last_error"] is None


def test_missed_ticks_are_skipped_not_run_one_after_the_other(crondb, caplog):
    caplog.set_level(logging.INFO)
    jobs = jobs_of("book")
    cron_table.register(jobs)
    late = crondb.now() - datetime.timedelta(seconds=101)
    crondb.query("UPDATE cron SET next_run = %s WHERE name = 'tick'", (late,))
    claim = claim_due("tick")
    assert claim.due == late
    cron.run_job(jobs["tick"], claim)
    nxt = row(crondb, "tick")["next_run"]
    now = crondb.now()
    assert nxt > now - datetime.timedelta(seconds=1)
    assert nxt <= now + datetime.timedelta(seconds=2)
    assert (nxt - late).total_seconds() % 2 == 0, "the schedule keeps its grid"
    assert "missed tick(s) skipped" in caplog.text
    assert crondb.value("SELECT COUNT(*) FROM cron_book WHERE name = 'tick'") == 1


def test_next_tick():
    t0 = datetime.datetime(2026, 1, 1, 12, 0, 0)
    s = datetime.timedelta(seconds=1)
    assert cron_table.next_tick(t0, 10, t0 + 3 * s) == (t0 + 10 * s, 0)
    assert cron_table.next_tick(t0, 10, t0 + 10 * s) == (t0 + 20 * s, 1)
    assert cron_table.next_tick(t0, 10, t0 + 35 * s) == (t0 + 40 * s, 3)


def test_runner_threads_run_due_jobs_and_stop_when_asked(crondb):
    jobs_of("book")
    runner = cron.CronRunner(use_addons("book"), threads=2).start()
    try:
        names = sorted(t.name for t in runner.threads)
        assert names == ["inphms.cron.0", "inphms.cron.1"]
        deadline = threading.Event()
        for _ in range(100):
            if crondb.value("SELECT COUNT(*) FROM cron_book WHERE name = 'tick'") >= 1:
                break
            deadline.wait(0.1)
        assert crondb.value("SELECT COUNT(*) FROM cron_book WHERE name = 'tick'") >= 1
    finally:
        assert runner.stop(10) is True, "idle cron threads wake at once on stop()"
    assert not any(t.is_alive() for t in runner.threads)
    assert row(crondb, "archive")["last_status"] == "ok"
    assert row(crondb, "ses_expire")["last_status"] == "ok"


def test_no_threads_when_max_cron_threads_is_0(crondb):
    runner = cron.CronRunner(use_addons("book"), threads=0).start()
    assert runner.threads == [] and runner.stop(1) is True
    assert crondb.value("SELECT COUNT(*) FROM cron") == 0
