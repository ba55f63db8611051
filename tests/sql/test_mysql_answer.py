"""inphms's reader of MariaDB answers (inphms.sql.mysql_answer) against PyMySQL's own.

Every statement here runs twice: on an inphms connection, whose answers
``PacketResult`` reads, and on a plain PyMySQL connection with the same settings,
which reads them its own way; the two must give the same rows, types,
descriptions and counts.
"""
import datetime
import decimal
import socket
import threading

import pymysql
import pytest

from inphms.sql import cursor, engine_mysql, get_engine, mysql_answer
from inphms.sql.errors import SqlError
from tools.sql import *

WIDE = ", ".join(f"{n} AS c{n}" for n in range(300))   # past 250 columns: PyMySQL's own reader

STATEMENTS = [
    "SELECT 1",
    "SELECT 7 AS a, 'seven' AS b, 7.5 AS c, NULL AS d, -3 AS e, 2.5e3 AS f",
    "SELECT DATE('2026-11-22') AS d, TIMESTAMP('2026-11-22 10:11:12') AS t, TIME('10:11:12') AS h",
    "SELECT x'00ff' AS raw, CAST('caf\u00e9 \u2713' AS CHAR) AS text, JSON_OBJECT('k', 1) AS doc",
    "SELECT REPEAT('a', 250) AS s250, REPEAT('b', 251) AS s251, REPEAT('c', 300) AS s300",
    "SELECT REPEAT('d', 65535) AS s65535, REPEAT('e', 65536) AS s65536, REPEAT('f', 70000) AS s70k",
    "SELECT seq, seq * 2 AS twice, IF(seq % 3 = 0, NULL, CONCAT('n', seq)) AS name FROM seq_1_to_1000",
    "SELECT seq FROM seq_1_to_10 WHERE seq > 100",
    "SELECT name, price, note FROM prod ORDER BY id",
    "SELECT COUNT(*) AS n, SUM(price) AS total, AVG(price) AS mean FROM prod",
    "SHOW TABLES",
    f"SELECT {WIDE}",
    "UPDATE prod SET price = price + 1 WHERE name = 'tea'",
    "UPDATE prod SET price = price WHERE name = 'nothing'",
    "SELECT 1/0 AS nothing",
]


@pytest.fixture
def pair(mysql_db):
    """(an inphms connection, a plain PyMySQL connection) to the test database."""
    insert_to_sql({"table": "prod", "set": {"name": "tea", "price": 3, "note": "green"}})
    insert_to_sql({"table": "prod", "set": {"name": "rice", "price": 5}})
    ours = get_engine().connect()
    o = mysql_db.options
    theirs = pymysql.connect(user=o["db_user"], password=o["db_password"], database=o["db_name"],
                             host=o["db_host"], port=int(o["db_port"]), charset="utf8mb4",
                             autocommit=True, client_flag=pymysql.constants.CLIENT.FOUND_ROWS,
                             conv=engine_mysql.CONVERSIONS, init_command="SET time_zone = '+00:00'")
    yield ours, theirs
    ours.close()
    theirs.close()


def run(conn, statement):
    with conn.cursor() as cur:
        count = cur.execute(statement)
        rows = cur.fetchall()
        return count, cur.description, rows, cur.rowcount, cur.lastrowid, conn._result.warning_count


def test_every_answer_reads_as_pymysql_reads_it(pair):
    ours, theirs = pair
    for statement in STATEMENTS:
        mine, want = run(ours, statement), run(theirs, statement)
        assert type(ours._result) is mysql_answer.PacketResult
        assert type(theirs._result) is not mysql_answer.PacketResult
        assert mine == want, statement[:80]
        for got_row, want_row in zip(mine[2][:3], want[2][:3]):
            assert [type(v) for v in got_row] == [type(v) for v in want_row], statement[:80]


def test_the_values_come_back_as_they_went_in(pair):
    ours, _ = pair
    (row,) = run(ours, STATEMENTS[3])[2]
    assert row == (b"\x00\xff", "caf\u00e9 \u2713", '{"k": 1}')
    (row,) = run(ours, STATEMENTS[5])[2]
    assert [len(v) for v in row] == [65535, 65536, 70000]
    rows = run(ours, STATEMENTS[6])[2]
    assert len(rows) == 1000 and rows[2] == (3, 6, None) and rows[999] == (1000, 2000, "n1000")
    assert run(ours, STATEMENTS[11])[2][0][299] == 299
    assert run(ours, STATEMENTS[12])[0] == 1
    assert run(ours, STATEMENTS[14])[5] == 1     # division by zero: one warning


def test_a_value_longer_than_one_packet(pair):
    """Over 16 MiB: the row comes in two packets and the value's length in eight bytes."""
    ours, theirs = pair
    size = 17 * 1024 * 1024
    statement = f"SELECT REPEAT('z', {size}) AS big, 'after' AS tail"
    (row,) = run(ours, statement)[2]
    assert len(row[0]) == size and row[1] == "after"
    assert run(theirs, statement)[2] == ((row[0], "after"),)


def test_an_insert_gives_its_id(pair):
    ours, _ = pair
    count, description, rows, rowcount, lastrowid, _ = run(ours, "INSERT INTO prod (name) VALUES ('salt')")
    assert (count, description, list(rows), rowcount) == (1, None, [], 1)
    assert run(ours, f"SELECT name FROM prod WHERE id = {lastrowid}")[2] == (("salt",),)


def test_a_result_shape_is_parsed_once_per_connection(pair):
    ours, _ = pair
    statement = "SELECT name, price FROM prod WHERE name = 'tea'"
    first = run(ours, statement)
    shapes = dict(ours.shapes)
    assert len(shapes) == 1
    for _ in range(20):
        assert run(ours, statement) == first
    assert {key: id(s) for key, s in ours.shapes.items()} == {key: id(s) for key, s in shapes.items()}
    assert run(ours, "SELECT price, name FROM prod WHERE name = 'tea'")[2] == ((3, "tea"),)
    assert len(ours.shapes) == 2


def test_one_name_with_other_types_keeps_each_its_type(mysql_db):
    queries = [
        ("SELECT 7 AS a", 7),
        ("SELECT 'seven' AS a", "seven"),
        ("SELECT 7.5 AS a", decimal.Decimal("7.5")),      # a literal 7.5 is DECIMAL
        ("SELECT DATE('2026-11-22') AS a", datetime.date(2026, 11, 22)),
        ("SELECT x'00ff' AS a", b"\x00\xff"),
        ("SELECT NULL AS a", None),
    ]
    for _ in range(3):
        for query, value in queries:
            got = kic_sql(query)[0]["a"]
            assert got == value and type(got) is type(value), query


def test_the_shapes_stay_bounded(pair, monkeypatch):
    ours, _ = pair
    monkeypatch.setattr(mysql_answer, "MAX_SHAPES", 4)
    for n in range(30):
        assert run(ours, f"SELECT {n} AS c{n}")[2] == ((n,),)
        assert len(ours.shapes) <= 4


def test_an_error_after_some_rows_raises_and_the_connection_goes_on(mysql_db, monkeypatch):
    """Rows 1-98 are on their way (2 MB) when row 99 fails: MariaDB ends the answer with an error."""
    rows_read = []
    split_row = mysql_answer.split_row
    monkeypatch.setattr(mysql_answer, "split_row", lambda *a: rows_read.append(1) or split_row(*a))
    failing = ("SELECT seq, REPEAT('x', 20000) AS pad FROM seq_1_to_100 "
               "WHERE seq < 99 OR 1 / (seq - 100) IS NULL")
    with cursor() as cr:
        with pytest.raises(SqlError, match="out of range"):
            cr.execute(failing)
        assert len(rows_read) >= 50
        assert cr.execute("SELECT 5 AS n").fetchall()[0]["n"] == 5
    assert kic_sql("SELECT COUNT(*) AS n FROM seq_1_to_100")[0]["n"] == 100


def test_an_error_answer_leaves_the_connection_usable(pair):
    ours, _ = pair
    for statement in ("SELEC 1", "SELECT nope FROM prod", "SELECT * FROM missing_table"):
        with pytest.raises(pymysql.err.MySQLError):
            run(ours, statement)
        assert run(ours, "SELECT 2")[2] == ((2,),)


def test_a_procedure_answer_with_more_results(pair):
    kic_sql("CREATE PROCEDURE two_answers() BEGIN SELECT 1 AS a; SELECT 'b' AS b; END")
    rows = kic_sql("CALL two_answers()")
    assert [tuple(r) for r in rows] == [(1,)]
    # the rest of the answer is read before the next statement goes out
    assert kic_sql("SELECT 3 AS c")[0]["c"] == 3
    # each further result set is read by PacketResult too, as PyMySQL reads it
    answers = []
    for conn in pair:
        with conn.cursor() as cur:
            cur.execute("CALL two_answers()")
            sets = [(cur.description, cur.fetchall())]
            while cur.nextset():
                sets.append((cur.description, cur.fetchall()))
        answers.append(sets)
    assert type(pair[0]._result) is mysql_answer.PacketResult
    assert answers[0] == answers[1]
    assert [rows for _, rows in answers[0]][:2] == [((1,),), (("b",),)]


def test_an_answer_cut_short_is_a_lost_connection(pair):
    """The socket closes while the answer is awaited: PyMySQL's lost-connection error, and the socket closed."""
    ours, _ = pair
    timer = threading.Timer(0.3, ours._sock.shutdown, (socket.SHUT_RDWR,))
    timer.start()
    # an answer that came whole would be a row, not an error
    with pytest.raises(pymysql.err.OperationalError) as info:
        run(ours, "SELECT SLEEP(3)")
    timer.join()
    assert info.value.args[0] == 2013 and ours._sock is None


def test_a_read_whose_answer_is_cut_short_runs_again(mysql_db):
    """Through the pool: the read on a connection that dies mid-answer is run on a new one."""
    with cursor() as cr:
        sock = cr.conn._sock
        threading.Timer(0.3, sock.shutdown, (socket.SHUT_RDWR,)).start()
        assert cr.execute("SELECT SLEEP(1) AS s, 'again' AS t").fetchall()[0]["t"] == "again"
        assert cr.conn._sock is not sock


def test_a_connection_idle_while_the_server_restarts_is_lost(mysql_db, mariadb):
    """MariaDB closes idle connections when it shuts down: the next answer is cut short."""
    conn = get_engine().connect()
    assert run(conn, "SELECT 1")[2] == ((1,),)
    mariadb.restart()
    with pytest.raises(pymysql.err.OperationalError) as info:
        run(conn, "SELECT 1")
    assert info.value.args[0] == 2013 and conn._sock is None
    assert kic_sql("SELECT 2 AS n")[0]["n"] == 2
