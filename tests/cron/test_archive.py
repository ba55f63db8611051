"""The built-in jobs on both engines: archive (ses, logs, an addon's table) and ses_expire."""
import datetime
import os
import threading
import time

from inphms.config import config
from inphms.modules.module import load_addons
from inphms.service import cron, cron_jobs, cron_table

from tests.cron.conftest import addons_path, use_addons

OLD = datetime.datetime(2000, 1, 2, 3, 4, 5)
DAY = datetime.timedelta(days=1)


def run(name, addons):
    """Run a job as `cron run` does; (status, error)."""
    jobs = cron_jobs.discover(addons)
    cron_table.register(jobs)
    claim = cron_table.claim(name, cron.owner_name(), jobs[name].timeout, manual=True)
    return cron.run_job(jobs[name], claim, addons=addons)


def add_ses(target, token, active, when):
    target.query("INSERT INTO ses (id, user_id, is_active, created_at, updated_at, data) "
                 "VALUES (%s, 10000, %s, %s, %s, %s)", (token, active, when, when, '{"k": 1}'))


def add_row(target, table, name, active, when):
    col = "act_type" if table == "logs" else "name"
    target.query(f"INSERT INTO {table} ({col}, is_active, created_at, updated_at, data) "
                 "VALUES (%s, %s, %s, %s, %s)", (name, active, when, when, '{"n": "%s"}' % name))


def ids(target, table):
    return {w[0] for w in target.query(f"SELECT id FROM {table}")}


def rows(target, table, cols):
    return {w[0]: tuple(w) for w in target.query(f"SELECT {cols} FROM {table}")}


def test_archive_moves_done_rows_of_ses_logs_and_manifest_tables(crondb):
    now = crondb.now()
    recent = now - datetime.timedelta(days=29)
    add_ses(crondb, "s_ended_old", 0, OLD)          # moves
    add_ses(crondb, "s_live_old", 1, OLD)           # stays: still active
    add_ses(crondb, "s_ended_new", 0, recent)       # stays: not archive_days old
    add_row(crondb, "logs", "log_old_a", 1, OLD)    # moves (logs: rule old)
    add_row(crondb, "logs", "log_old_b", 0, OLD)    # moves
    add_row(crondb, "logs", "log_new", 1, recent)   # stays
    add_row(crondb, "prod_log", "p_off_old", 0, OLD)    # moves (manifest list: rule inactive)
    add_row(crondb, "prod_log", "p_on_old", 1, OLD)     # stays
    lcols = "id, act_type, send_text, response, is_active, created_at, updated_at, data"
    before = rows(crondb, "logs", lcols)
    config["archive_days"] = 30
    status, error = run("archive", use_addons("book"))
    assert (status, error) == ("ok", None)
    assert ids(crondb, "ses") == {"s_live_old", "s_ended_new"}
    assert ids(crondb, "ses_arc") == {"s_ended_old"}
    assert sorted(w[0] for w in crondb.query("SELECT act_type FROM logs")) == ["log_new"]
    moved = rows(crondb, "logs_arc", lcols)
    assert len(moved) == 2
    for key, w in moved.items():
        assert w == before[key], "an archived row keeps its id and every column"
    assert [w[0] for w in crondb.query("SELECT name FROM prod_log")] == ["p_on_old"]
    assert [w[0] for w in crondb.query("SELECT name FROM prod_log_arc")] == ["p_off_old"]
    w = crondb.query("SELECT archived_at FROM prod_log_arc")[0][0]
    assert w is not None
    # a second run finds nothing more to move
    assert run("archive", use_addons("book")) == ("ok", None)
    assert len(ids(crondb, "logs_arc")) == 2


def test_archive_days_0_is_off(crondb):
    add_row(crondb, "logs", "log_old", 1, OLD)
    config["archive_days"] = 0
    assert run("archive", use_addons("book")) == ("ok", None)
    assert ids(crondb, "logs_arc") == set()


def test_a_row_already_archived_stays_and_nothing_is_copied_twice(crondb):
    add_row(crondb, "logs", "twin", 1, OLD)
    add_row(crondb, "logs", "single", 1, OLD)
    twin = crondb.value("SELECT id FROM logs WHERE act_type = 'twin'")
    crondb.query("INSERT INTO logs_arc (id, act_type) VALUES (%s, 'archived before')", (twin,))
    config["archive_days"] = 30
    assert run("archive", use_addons("book")) == ("ok", None)
    assert ids(crondb, "logs") == {twin}
    assert crondb.value("SELECT act_type FROM logs_arc WHERE id = %s", (twin,)) == "archived before"
    assert crondb.value("SELECT COUNT(*) FROM logs_arc") == 2


def write_addon(root, name, manifest):
    folder = os.path.join(root, name)
    os.makedirs(folder)
    with open(os.path.join(folder, "__manifest__.py"), "w") as handle:
        handle.write(repr(manifest) + "\n")


def test_a_bad_archive_declaration_is_an_error_and_the_rest_is_archived(crondb, tmp_path):
    root = str(tmp_path / "bad")
    write_addon(root, "badarc", {"name": "badarc", "depends": ["cronbook"],
                                 "archive": {"gen": "old", "prod_log": "sometimes", "x-y": "old"}})
    add_row(crondb, "logs", "log_old", 1, OLD)
    config["archive_days"] = 30
    config["addons_path"] = addons_path("book") + [root]
    status, error = run("archive", load_addons(config))
    assert status == "error"
    assert "gen: table gen_arc does not exist" in error
    assert "rule 'sometimes' is not one of inactive, old" in error
    assert "bad table name 'x-y'" in error
    assert ids(crondb, "logs") == set(), "the good tables are archived all the same"
    w = crondb.query("SELECT last_status, last_error FROM cron WHERE name = 'archive'")[0]
    assert w[0] == "error" and w[1].startswith("inphms.tools.db_arc.ArcError: addon badarc")


def test_archive_goes_batch_by_batch_and_stops_when_told(crondb):
    from tools import db_arc
    conn = crondb.raw()
    q = "INSERT INTO logs (act_type, created_at, updated_at) VALUES (%s, %s, %s)"
    conn.cursor().executemany(q.replace("%s", "?") if crondb.engine == "sqlite" else q,
                              [(f"r{i}", OLD, OLD) for i in range(2500)])
    conn.close()
    stop = threading.Event()
    data = {"stop": stop, "until": time.monotonic() + 60}
    cols = db_arc.arc_cols("logs")
    n, last = db_arc.arc_batch("logs", "old", OLD + DAY, cols)
    assert n == db_arc.batch and crondb.value("SELECT COUNT(*) FROM logs_arc") == db_arc.batch
    stop.set()
    assert db_arc.arc_table("logs", "old", OLD + DAY, data) == 0, "a stopping server moves no more"
    stop.clear()
    assert db_arc.arc_table("logs", "old", OLD + DAY, data) == 1500
    assert crondb.value("SELECT COUNT(*) FROM logs") == 0
    assert crondb.value("SELECT COUNT(*) FROM logs_arc") == 2500


def test_ses_expire_ends_sessions_idle_longer_than_ses_ttl(crondb):
    now = crondb.now()
    add_ses(crondb, "idle", 1, now - datetime.timedelta(seconds=4000))
    add_ses(crondb, "fresh", 1, now - datetime.timedelta(seconds=100))
    add_ses(crondb, "ended", 0, OLD)
    config["ses_ttl"] = 3600
    assert run("ses_expire", use_addons("book")) == ("ok", None)
    active = {w[0]: w[1] for w in crondb.query("SELECT id, is_active FROM ses")}
    assert active == {"idle": 0, "fresh": 1, "ended": 0}
    config["ses_ttl"] = 0       # 0: sessions never expire
    add_ses(crondb, "idle2", 1, OLD)
    assert run("ses_expire", use_addons("book")) == ("ok", None)
    assert crondb.value("SELECT is_active FROM ses WHERE id = 'idle2'") == 1



def test_a_batch_whose_delete_fails_leaves_nothing_in_the_archive(crondb):
    """The DELETE of a batch is refused by the database (a trigger): its copy is rolled back."""
    from inphms.sql import SqlError
    from tools import db_arc
    add_row(crondb, "logs", "log_a", 1, OLD)
    add_row(crondb, "logs", "log_b", 1, OLD)
    if crondb.engine == "sqlite":
        crondb.query("CREATE TRIGGER refuse_delete BEFORE DELETE ON logs "
                     "BEGIN SELECT RAISE(ABORT, 'delete refused'); END")
    else:
        crondb.query("CREATE TRIGGER refuse_delete BEFORE DELETE ON logs FOR EACH ROW "
                     "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'delete refused'")
    cols = db_arc.arc_cols("logs")
    try:
        db_arc.arc_batch("logs", "old", OLD + DAY, cols)
    except SqlError as exc:
        assert "delete refused" in str(exc)
    else:
        raise AssertionError("the refused DELETE did not raise")
    assert crondb.value("SELECT COUNT(*) FROM logs_arc") == 0
    assert crondb.value("SELECT COUNT(*) FROM logs") == 2
    crondb.query("DROP TRIGGER refuse_delete")
    assert db_arc.arc_batch("logs", "old", OLD + DAY, cols)[0] == 2
