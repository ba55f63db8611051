"""The pool: reuse, limits, transactions, threads, server restarts and lost connections."""
import threading
import time

import pytest

from inphms import sql
from inphms.config import config
from inphms.sql import SqlError, cursor, get_pool
from tests.support.wait import wait_for
from tools.sql import *


def connection_id(cr):
    if cr.engine.name == "mysql":
        return cr.execute("SELECT CONNECTION_ID()").fetchone()[0]
    return id(cr.lease.conn)


def test_connections_are_reused(db):
    with cursor() as cr:
        first = connection_id(cr)
    for _ in range(5):
        with cursor() as cr:
            assert connection_id(cr) == first
    assert get_pool().count == 1


def test_nested_cursors_share_the_connection(db):
    with cursor() as outer:
        with cursor() as inner:
            assert connection_id(inner) == connection_id(outer)
        assert find_in_sql({"table": "prod"}) is False
    assert get_pool().count == 1


def test_a_transaction_commits_or_rolls_back_as_a_whole(db):
    with cursor(tx=True) as cr:
        cr.execute("INSERT INTO prod (name) VALUES (%s)", ("kept",))
        insert_to_sql({"table": "prod", "set": {"name": "kept too"}})
    with pytest.raises(RuntimeError):
        with cursor(tx=True) as cr:
            cr.execute("INSERT INTO prod (name) VALUES (%s)", ("lost",))
            assert insert_to_sql({"table": "prod", "set": {"name": "lost too"}})["status"] == 1
            raise RuntimeError("stop")
    assert [r[0] for r in db.query("SELECT name FROM prod ORDER BY id")] == ["kept", "kept too"]


def test_a_failed_statement_leaves_the_connection_usable(db):
    with pytest.raises(SqlError):
        with cursor(tx=True) as cr:
            cr.execute("INSERT INTO prod (name) VALUES (%s)", ("a",))
            cr.execute("INSERT INTO nosuch (name) VALUES (%s)", ("b",))
    assert count_in_sql({"table": "prod"})[0] == 0
    assert insert_to_sql({"table": "prod", "set": {"name": "c"}})["status"] == 1


def test_at_most_maxconn_connections(db):
    sql.close_all()
    config["db_maxconn"] = 3
    busy, peak, lock = [0], [0], threading.Lock()
    errors = []

    def work():
        try:
            with cursor() as cr:
                with lock:
                    busy[0] += 1
                    peak[0] = max(peak[0], busy[0], get_pool().count)
                cr.execute("SELECT COUNT(*) FROM prod")
                time.sleep(0.02)    # on purpose: each holds its connection a while
                with lock:
                    busy[0] -= 1
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and peak[0] == 3 and get_pool().count == 3


def test_a_full_pool_makes_borrow_wait_then_fail(db):
    sql.close_all()
    config["db_maxconn"] = 1
    pool = get_pool()
    with cursor():
        with pytest.raises(SqlError, match="no free connection"):
            pool.borrow(timeout=0.2)
    conn = pool.borrow(timeout=0.2)
    pool.give_back(conn)


def test_a_connection_coming_back_goes_to_the_longest_waiter(db):
    # the holder asks again at once: it must queue behind the two waiting
    sql.close_all()
    config["db_maxconn"] = 1
    pool = get_pool()
    order, lock = [], threading.Lock()
    conn = pool.borrow()

    def wait_then_take(name):
        got = pool.borrow(timeout=5)
        with lock:
            order.append(name)
        time.sleep(0.05)    # on purpose: holds it a while, the next waiter must wait
        pool.give_back(got)

    first = threading.Thread(target=wait_then_take, args=("first",))
    first.start()
    wait_for(lambda: len(pool.waiters) == 1, 5, "the first waiter to queue")
    second = threading.Thread(target=wait_then_take, args=("second",))
    second.start()
    wait_for(lambda: len(pool.waiters) == 2, 5, "the second waiter to queue")
    pool.give_back(conn)
    again = pool.borrow(timeout=5)
    with lock:
        order.append("holder again")
    pool.give_back(again)
    first.join()
    second.join()
    assert order == ["first", "second", "holder again"]
    assert pool.count == 1 and not pool.waiters


def test_a_waiter_gets_the_slot_of_a_broken_connection(db):
    sql.close_all()
    config["db_maxconn"] = 1
    pool = get_pool()
    conn = pool.borrow()
    got = []
    waiter = threading.Thread(target=lambda: got.append(pool.borrow(timeout=5)))
    waiter.start()
    wait_for(lambda: pool.waiters, 5, "the waiter to queue")
    pool.give_back(conn, broken=True)       # closed: the waiter opens a new one
    waiter.join()
    assert got and got[0] is not conn and pool.count == 1
    pool.give_back(got[0])


def test_close_all_then_a_new_pool(db):
    with cursor() as cr:
        old = get_pool()
        sql.close_all()
        # The borrowed connection still works until it is given back...
        cr.execute("SELECT COUNT(*) FROM prod")
    # ...and is closed then; the next cursor builds a new pool.
    assert old.closed and old.count == 0
    assert insert_to_sql({"table": "prod", "set": {"name": "after"}})["status"] == 1
    assert get_pool() is not old


def test_sixteen_threads_writing_never_see_a_locked_database(db):
    errors, per = [], 60

    def work(n):
        try:
            for i in range(per):
                t = insert_to_sql({"table": "prod", "set": {"name": f"t{n}-{i}", "price": i}})
                assert t["status"] == 1, t
                assert insert_to_sql({"table": "prod", "id": t["id"], "set": {"price": i + 1}})["status"] == 1
                assert add_to_data("prod", t["id"], "n", n)["status"] == 1
                with cursor(tx=True) as cr:
                    cr.execute("UPDATE prod SET note = %s WHERE id = %s", (f"n{n}", t["id"]))
                    cr.execute("SELECT COUNT(*) FROM prod WHERE note = %s", (f"n{n}",))
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert count_in_sql({"table": "prod"})[0] == 16 * per
    assert count_in_sql({"table": "prod", "where": {"n": ("=", 5, "data"), "note": "n5"}})[0] == per


def test_sqlite_uses_wal(sqlite_db):
    assert kic_sql("PRAGMA journal_mode")[0][0] == "wal"


def test_the_pool_recovers_after_a_server_restart(mysql_db, mariadb):
    errors = []

    def query(n):
        try:
            with cursor() as cr:
                cr.execute("SELECT COUNT(*) FROM prod")
                time.sleep(0.05)    # on purpose: the connections are held together
            insert_to_sql({"table": "prod", "set": {"name": f"r{n}"}})
        except Exception as exc:
            errors.append(exc)

    def run_threads():
        threads = [threading.Thread(target=query, args=(n,)) for n in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    run_threads()
    assert errors == [] and get_pool().count >= 2
    mariadb.stop()
    with pytest.raises(SqlError, match="cannot connect"):
        find_in_sql({"table": "prod"})
    mariadb.start()
    run_threads()
    assert errors == []
    assert count_in_sql({"table": "prod"})[0] == 12


def kill(mariadb, target):
    with mariadb.connect(via="tcp") as conn, conn.cursor() as cur:
        cur.execute("KILL CONNECTION %s", (target,))
    mariadb.wait_connection_gone(target)


def test_a_lost_connection_retries_a_read_once_but_never_a_write(mysql_db, mariadb):
    insert_to_sql({"table": "prod", "set": {"name": "x"}})
    with cursor() as cr:
        kill(mariadb, connection_id(cr))
        assert cr.execute("SELECT name FROM prod").fetchall()[0]["name"] == "x"
    with pytest.raises(SqlError, match="statement: UPDATE prod"):
        with cursor() as cr:
            kill(mariadb, connection_id(cr))
            cr.execute("UPDATE prod SET price = 5")
    assert find_in_sql({"table": "prod", "what": "price"})[0] == 0
    with pytest.raises(SqlError):
        with cursor(tx=True) as cr:
            kill(mariadb, connection_id(cr))
            cr.execute("SELECT name FROM prod")
    assert find_in_sql({"table": "prod", "what": "name"})[0] == "x"


def idle_connection_killed(mariadb):
    with cursor() as cr:
        first = connection_id(cr)
    kill(mariadb, first)
    return first


def test_a_read_on_a_connection_killed_while_idle_is_run_on_a_new_one(mysql_db, mariadb, caplog):
    first = idle_connection_killed(mariadb)
    with caplog.at_level("INFO", logger="inphms.sql"):
        with cursor() as cr:
            assert connection_id(cr) != first
    # the pool handed it out without a look; the read found it lost and ran again
    assert "retrying a read once" in caplog.text
    assert get_pool().count == 1


def test_a_write_on_a_connection_killed_while_idle_is_checked_first(mysql_db, mariadb, caplog):
    insert_to_sql({"table": "prod", "set": {"name": "x"}})
    idle_connection_killed(mariadb)
    with caplog.at_level("INFO", logger="inphms.sql"):
        assert kic_sql("UPDATE prod SET price = 5", 1)["row_count"] == 1
    assert "dropping a dead connection" in caplog.text
    idle_connection_killed(mariadb)
    with cursor(tx=True) as cr:
        cr.execute("UPDATE prod SET price = 6")
    assert find_in_sql({"table": "prod", "what": "price"})[0] == 6
    assert get_pool().count == 1


def test_a_cursor_follows_the_connection_a_nested_one_replaced(mysql_db, mariadb):
    insert_to_sql({"table": "prod", "set": {"name": "x"}})
    idle_connection_killed(mariadb)
    with cursor() as outer:
        with cursor() as inner:
            inner.execute("UPDATE prod SET price = 7")
        outer.execute("UPDATE prod SET note = 'after'")
    w = kic_sql("SELECT price, note FROM prod")[0]
    assert (w["price"], w["note"]) == (7, "after")


def test_errors_name_the_statement_never_the_password(db):
    with pytest.raises(SqlError) as info:
        run_sql("SELEC name FROM prod WHERE name = %s", ("secret value",))
    text = str(info.value)
    assert "SELEC name FROM prod WHERE name = %s" in text and "secret value" not in text
    if db.password:
        assert db.password not in text
        sql.close_all()
        config["db_password"] = db.password + "x"
        with pytest.raises(SqlError) as info:
            find_in_sql({"table": "prod"})
        assert "cannot connect" in str(info.value) and db.password not in str(info.value)


def test_the_mysql_connection_speaks_utc_and_utf8mb4(mysql_db):
    w = kic_sql("SELECT @@session.time_zone AS tz, @@character_set_connection AS cs")[0]
    assert (w["tz"], w["cs"]) == ("+00:00", "utf8mb4")
