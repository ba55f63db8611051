"""Three real servers on one MariaDB database run each due job once.

Phase 1: job tick (every 2 s) runs for 20 s on three servers with two cron
threads each: every due tick runs exactly once (no double run, no missed
tick).  Phase 2: job hold, whose first run hangs, is claimed by one server,
which is killed with SIGKILL mid-job; another server runs the same tick
once the dead server's lease (4 s) has run out.
"""
import datetime
import signal
import time

from inphms.service.cron_table import as_time
from tests.support.wait import wait_for

WINDOW = 20


def book(target, name, what):
    rows = target.query("SELECT id, pid, due, created_at FROM cron_book WHERE name = %s AND what = %s "
                        "ORDER BY id", (name, what))
    return [(w[0], w[1], as_time(w[2]), as_time(w[3])) for w in rows]


def test_three_servers_run_each_tick_once_and_take_over_a_dead_servers_job(mysql_crondb, servers):
    db = mysql_crondb
    # hold is switched off before any server starts: registration keeps that.
    db.query("INSERT INTO cron (name, every, next_run, is_active) VALUES ('hold', 2, %s, 0)", (db.now(),))
    group = servers(db, "book", "hold")
    procs = [group.make(start=False, max_cron_threads=2) for _ in range(3)]
    for p in procs:
        p.start(wait=False)
    for p in procs:
        p.wait_ready(30)
    check_each_tick_runs_once(db, procs)
    dead = check_a_dead_servers_job_is_taken_over(db, procs)
    for p in procs:
        if p is not dead:
            p.signal(signal.SIGTERM)
            assert p.wait(30) == 0, p.log()


def check_each_tick_runs_once(db, procs):
    pids = {p.pid for p in procs}
    assert wait_for(lambda: book(db, "tick", "tick"), 30), procs[0].log()
    time.sleep(WINDOW)  # on purpose: the window watched, ten ticks of 2 s across three servers
    off = db.now()
    db.query("UPDATE cron SET is_active = 0 WHERE name = 'tick'")
    # a tick claimed just before the switch ends meanwhile: its lease is given back
    wait_for(lambda: db.query("SELECT lease_owner FROM cron WHERE name = 'tick'")[0][0] is None, 15,
             "the last tick to give its lease back")
    ticks = book(db, "tick", "tick")
    dues = [t[2] for t in ticks]
    by_pid = {pid: sum(1 for t in ticks if t[1] == pid) for pid in pids}
    summary = f"{len(ticks)} runs, by server {by_pid}, dues {[str(d.time()) for d in dues]}"
    print("fleet:", summary)
    assert len(dues) == len(set(dues)), "a tick ran twice: " + summary
    assert {t[1] for t in ticks} <= pids
    first, last = min(dues), max(dues)
    due_ticks = (last - first).total_seconds() / 2 + 1
    assert len(ticks) == due_ticks, "a due tick was missed: " + summary
    assert last >= off - datetime.timedelta(seconds=3), "the last ticks were missed: " + summary
    assert len(ticks) >= WINDOW // 2 - 1, summary
    for p in procs:
        assert "Traceback" not in p.log(), p.log()


def check_a_dead_servers_job_is_taken_over(db, procs):
    """Kill the server running hold; another runs the same tick after the lease. Returns the dead one."""
    pids = {p.pid for p in procs}
    db.query("UPDATE cron SET is_active = 1 WHERE name = 'hold'")
    starts = wait_for(lambda: book(db, "hold", "start"), 15)
    assert len(starts) == 1, starts
    holder = starts[0][1]
    assert holder in pids
    lease, owner = db.query("SELECT lease_until, lease_owner FROM cron WHERE name = 'hold'")[0]
    lease = as_time(lease)
    assert f":{holder}:inphms.cron." in owner
    dead = next(p for p in procs if p.pid == holder)
    dead.signal(signal.SIGKILL)
    assert dead.wait(10) == -signal.SIGKILL
    starts = wait_for(lambda: len(book(db, "hold", "start")) >= 2 and book(db, "hold", "start"), 30)
    assert starts and len(starts) >= 2, "nobody took over the dead server's job"
    second = starts[1]
    assert second[1] in pids - {holder}
    assert second[2] == starts[0][2], "the tick the dead server held is the one run again"
    assert second[3] > lease, "taken over before the lease ran out"
    print(f"fleet: hold killed in {holder} (lease until {lease}), taken over by {second[1]} at {second[3]}")
    done = wait_for(lambda: [d for d in book(db, "hold", "done") if d[1] == second[1]], 15)
    assert done and not [d for d in book(db, "hold", "done") if d[1] == holder]
    assert db.value("SELECT last_status FROM cron WHERE name = 'hold'") == "ok"
    return dead
