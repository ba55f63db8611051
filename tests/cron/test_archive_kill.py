"""SIGKILL a real server in the middle of an archive run: no row lost, none duplicated.

On both engines: a large `logs` table and many ended sessions, all older
than archive_days; the server's archive job starts moving them at start-up;
the test kills the server with SIGKILL at a random moment of the run, then
counts every row in the source and archive tables.  Then `cron run archive`
finishes the work by hand (the dead server's lease must be forced).
"""
import datetime
import random
import signal
import time

from tests.support.wait import wait_for

OLD = datetime.datetime(2000, 1, 2, 3, 4, 5)
# Sized so a run lasts several seconds on each engine (see docs/cron.md for rates).
ROWS = {"sqlite": 300_000, "mysql": 100_000}
SESSIONS = 5_000


def fill(target, logs, sessions):
    conn = target.raw()
    cur = conn.cursor()
    mark = "?" if target.engine == "sqlite" else "%s"
    cur.execute("BEGIN")
    q = f"INSERT INTO logs (act_type, send_text, created_at, updated_at) VALUES ({mark}, {mark}, {mark}, {mark})"
    for i in range(0, logs, 10_000):
        cur.executemany(q, [(f"act{j}", f"text {j} " + "x" * 80, OLD, OLD)
                            for j in range(i, min(logs, i + 10_000))])
    live = target.now()
    q = f"INSERT INTO ses (id, user_id, is_active, updated_at) VALUES ({mark}, 10000, {mark}, {mark})"
    cur.executemany(q, [(f"t{j:083d}", 0, OLD) for j in range(sessions)]
                    + [(f"live{j:080d}", 1, live) for j in range(50)])
    cur.execute("COMMIT")
    conn.close()


def snapshot(target):
    """{table: set of rows} of the sources and their archives, read outside the server."""
    return {
        "logs": set(target.query("SELECT id, act_type, send_text FROM logs")),
        "logs_arc": set(target.query("SELECT id, act_type, send_text FROM logs_arc")),
        "ses": {w[0] for w in target.query("SELECT id FROM ses")},
        "ses_arc": {w[0] for w in target.query("SELECT id FROM ses_arc")},
    }


def check_nothing_lost_or_doubled(before, after):
    for src, arc in (("logs", "logs_arc"), ("ses", "ses_arc")):
        assert not after[src] & after[arc], f"rows both in {src} and {arc}"
        assert after[src] | after[arc] == before[src], f"{src}: rows lost or changed"
        assert len(after[src]) + len(after[arc]) == len(before[src])


def moved(target):
    return (target.value("SELECT COUNT(*) FROM logs_arc")
            + target.value("SELECT COUNT(*) FROM ses_arc"))


def test_sigkill_in_the_middle_of_an_archive_run(crondb, servers):
    total = ROWS[crondb.engine] + SESSIONS
    fill(crondb, ROWS[crondb.engine], SESSIONS)
    before = snapshot(crondb)
    group = servers(crondb)
    server = group.make(max_cron_threads=1, archive_days=30, ses_ttl=0)
    assert wait_for(lambda: moved(crondb), 60), "the archive run did not start:\n" + server.log()
    time.sleep(random.uniform(0.0, 1.0))    # on purpose: the kill lands anywhere in the run
    server.signal(signal.SIGKILL)
    assert server.wait(10) == -signal.SIGKILL
    after = snapshot(crondb)
    done = len(after["logs_arc"]) + len(after["ses_arc"])
    assert 0 < done < total, f"the kill must land in the middle of the run ({done} of {total} moved)"
    check_nothing_lost_or_doubled(before, after)
    # The dead server still holds the job until its lease (2 hours) runs out.
    lease, owner = crondb.query("SELECT lease_until, lease_owner FROM cron WHERE name = 'archive'")[0]
    assert f":{server.pid}:inphms.cron.0:" in owner
    rc, out, err = group.cli("cron", "run", "archive")
    assert rc == 1 and f"job archive is running on {owner}" in err
    rc, out, err = group.cli("cron", "run", "archive", "--force", archive_days=30)
    assert rc == 0, out + err
    assert "cron job archive: ok" in out
    final = snapshot(crondb)
    check_nothing_lost_or_doubled(before, final)
    assert len(final["logs"]) == 0
    assert final["ses"] == {f"live{j:080d}" for j in range(50)}, "live sessions stay"
    w = crondb.query("SELECT last_status, lease_until, lease_owner FROM cron WHERE name = 'archive'")[0]
    assert tuple(w) == ("ok", None, None)
