"""Every wait on the database is bounded, and a doubtful connection is never lent again.

In this process, on the real engines: the statement time limit (MariaDB's
max_statement_time, SQLite's busy timeout), the read timeout against a
frozen MariaDB (SIGSTOP), the pool's wait deadline, the separate pool of the
session lookup, a connection whose answer was cut off while its rows were
converted, and a write whose outcome the server could not confirm.
"""
import os
import signal
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from pymysql.constants import FIELD_TYPE

from inphms import sql
from inphms.config import config
from inphms.sql import OutcomeUnknown, SqlError, Unavailable, cursor, engine_mysql, get_pool
from tests.support.db import point_config
from tests.support.process import stop_every_thread
from tools.sql import find_in_sql, insert_to_sql, kic_sql, run_sql


def settle(**options):
    """Point this process's pools at the same database with other options."""
    point_config(options)


@contextmanager
def frozen(server, seconds_max=20):
    """mariadbd stopped with SIGSTOP until the block ends (SIGCONT, whatever happens)."""
    stop_every_thread(server.proc.pid)
    started = time.monotonic()
    try:
        yield
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
        assert time.monotonic() - started < seconds_max + 5


def timed(func):
    started = time.monotonic()
    try:
        return func(), time.monotonic() - started
    except Exception as exc:        # the test looks at what was raised
        return exc, time.monotonic() - started


def test_mariadb_stops_a_statement_past_db_statement_timeout(mysql_db):
    settle(db_statement_timeout=1)
    got, took = timed(lambda: kic_sql("SELECT SLEEP(5)"))
    assert isinstance(got, Unavailable) and "max_statement_time" in str(got), got
    assert took < 3
    assert kic_sql("SELECT 1")[0][0] == 1, "the connection is still good"


def test_sqlite_waits_for_a_lock_no_longer_than_db_statement_timeout(sqlite_db):
    settle(db_statement_timeout=1)
    path = os.path.join(config["data_dir"], config["db_name"] + ".sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        got, took = timed(lambda: kic_sql("INSERT INTO gen (key1) VALUES ('x')"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(got, Unavailable) and "locked" in str(got), got
    assert 0.8 < took < 3
    assert kic_sql("INSERT INTO gen (key1) VALUES ('y')", 1)["status"] == 1


def test_a_frozen_mariadb_is_unavailable_within_the_read_timeout(mysql_db):
    settle(db_read_timeout=1, db_connect_timeout=1)
    assert kic_sql("SELECT 1")[0][0] == 1
    with frozen(mysql_db.server):
        got, took = timed(lambda: kic_sql("SELECT COUNT(*) FROM users"))
        assert isinstance(got, Unavailable), got
        assert took < 2.5, "a read that timed out is not run again"
        # a new connection to a frozen server: the handshake never comes
        sql.close_all()
        got, took = timed(lambda: kic_sql("SELECT 1"))
        assert isinstance(got, Unavailable) and "cannot connect" in str(got), got
        assert took < 2.5
    assert kic_sql("SELECT 1")[0][0] == 1, "back as soon as the database is"


def test_waiting_for_a_free_connection_has_a_deadline(blank):
    settle(db_maxconn=1, db_pool_wait=1, db_retry_after=7)
    held = threading.Event()
    done = threading.Event()

    def hold():
        with cursor() as cr:
            cr.execute("SELECT 1")
            held.set()
            done.wait(10)
    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        got, took = timed(lambda: kic_sql("SELECT 2"))
        assert isinstance(got, Unavailable) and "no free connection" in str(got), got
        assert got.retry_after == 7 and 0.8 < took < 3
        # the session lookup has its own connections, and does not wait
        with cursor(pool="ses") as cr:
            cr.execute("SELECT 3")
            assert cr.fetchone()[0] == 3
    finally:
        done.set()
        holder.join(10)
    assert kic_sql("SELECT 4")[0][0] == 4


def test_a_connection_whose_rows_failed_to_convert_is_never_lent_again(mysql_db, monkeypatch):
    settle(db_maxconn=1)

    def boom(text):
        if text.endswith(":05"):
            raise MemoryError("injected while converting row 5")
        return text
    monkeypatch.setitem(engine_mysql.CONVERSIONS, FIELD_TYPE.DATETIME, boom)
    sql.close_all()
    query = ("SELECT seq, CAST(TIMESTAMP('2001-01-01 00:00:00') + INTERVAL seq SECOND AS DATETIME) "
             "AS t, REPEAT('x', 200) AS pad FROM seq_1_to_2000")
    for _ in range(3):
        with pytest.raises(MemoryError):
            kic_sql(query)
        # the next, unrelated caller gets its own answer, not the rest of that one
        assert kic_sql("SELECT 7 AS seven")[0]["seven"] == 7
        assert get_pool().count <= 1


def test_a_write_whose_answer_never_came_is_unknown_not_failed(mysql_db):
    settle(db_read_timeout=1)
    assert insert_to_sql({"table": "gen", "set": {"key1": "before"}})["status"] == 1
    with frozen(mysql_db.server):
        t, took = timed(lambda: insert_to_sql({"table": "gen", "set": {"key1": "doubt"}}))
    assert t["status"] == 0 and t.get("unknown") == 1, t
    assert "outcome is unknown" in t["err"] and took < 3
    # a write that surely failed (a wrong column) is not unknown
    bad = insert_to_sql({"table": "gen", "set": {"nothere": 1}})
    assert bad["status"] == 0 and "unknown" not in bad
    # a transaction whose COMMIT was sent but never answered: unknown too
    pid = mysql_db.server.proc.pid

    def commit_frozen():
        try:
            with cursor(tx=True) as cr:
                cr.execute("INSERT INTO gen (key1) VALUES ('in tx')")
                stop_every_thread(pid)       # the COMMIT goes out on leaving the block
        finally:
            os.kill(pid, signal.SIGCONT)
    got, took = timed(commit_frozen)
    assert isinstance(got, OutcomeUnknown) and "COMMIT" in str(got), got
    mysql_db.server.wait_statements_done(mysql_db.options["db_name"])     # the thawed COMMIT ended
    saved = {w[0] for w in mysql_db.query("SELECT key1 FROM gen")}
    print(f"\nafter the thaw, rows saved although unconfirmed: {sorted(saved - {'before'})}")
    assert "before" in saved


def test_the_figure_of_a_sql_error_is_still_a_sql_error(blank):
    """Unavailable and OutcomeUnknown are SqlError: code that catches SqlError keeps working."""
    assert issubclass(Unavailable, SqlError) and issubclass(OutcomeUnknown, Unavailable)
    settle(db_maxconn=2)
    with pytest.raises(SqlError) as info:
        run_sql("SELECT * FROM no_such_table")
    assert not isinstance(info.value, Unavailable)


def save_order(req, total):
    """The retry-safe write of docs/sql.md, as written there."""
    t = insert_to_sql({'table': 'orders', 'set': {'req': req, 'total': total}})
    if t["status"]:
        return t
    w = find_in_sql({'table': 'orders', 'fld': 'req', 'val': req, 'what': 'id'})
    if w:
        return {"status": 1, "id": w["id"]}
    if t.get("unknown"):
        return {"status": 0, "unknown": 1, "err": "try again with the same req"}
    return t


def test_a_write_with_a_unique_key_is_safe_to_retry_after_an_unknown_outcome(mysql_db):
    settle(db_read_timeout=1)
    kic_sql("CREATE TABLE orders (id int NOT NULL AUTO_INCREMENT, req varchar(64) NOT NULL, "
            "total int DEFAULT 0, is_active tinyint(1) DEFAULT 1, data json DEFAULT NULL, "
            "PRIMARY KEY (id), UNIQUE KEY req (req))")
    with frozen(mysql_db.server):
        # the first attempt: its INSERT is sent and never answered (its lookup
        # would raise Unavailable, which the server answers "try again")
        first = insert_to_sql({'table': 'orders', 'set': {'req': 'order-1', 'total': 1200}})
        got, _ = timed(lambda: save_order("order-1", 1200))
    assert first["status"] == 0 and first["unknown"] == 1, first
    assert isinstance(got, Unavailable)
    mysql_db.server.wait_statements_done(mysql_db.options["db_name"])     # the thawed INSERT ended
    again = save_order("order-1", 1200)          # the client sends it again, same req
    assert again["status"] == 1
    assert mysql_db.value("SELECT COUNT(*) FROM orders WHERE req = 'order-1'") == 1
    assert save_order("order-2", 500)["status"] == 1
    assert mysql_db.value("SELECT COUNT(*) FROM orders") == 2
