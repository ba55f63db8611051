"""MariaDB column descriptions: parsed once per process, never mixed up between statements."""
import datetime

from inphms.sql import engine_mysql
from tools.sql import *


def test_a_column_description_is_parsed_once(mysql_db):
    engine_mysql.Connection.columns.clear()
    query = "SELECT id, name, price FROM prod WHERE name = %s"
    assert insert_to_sql({"table": "prod", "set": {"name": "tea", "price": 3}})["status"] == 1
    first = kic_sql(query, ("tea",))
    parsed = dict(engine_mysql.Connection.columns)
    assert len(parsed) == 3
    for _ in range(20):
        assert kic_sql(query, ("tea",)) == first
    # the same three parsed columns, not new ones
    assert {key: id(c) for key, c in engine_mysql.Connection.columns.items()} == {
        key: id(c) for key, c in parsed.items()}
    assert first[0]["name"] == "tea" and first[0]["price"] == 3


def test_one_name_with_other_types_keeps_each_its_type(mysql_db):
    queries = [
        ("SELECT 7 AS a", 7),
        ("SELECT 'seven' AS a", "seven"),
        ("SELECT 7.5 AS a", 7.5),
        ("SELECT DATE('2026-11-22') AS a", datetime.date(2026, 11, 22)),
        ("SELECT x'00ff' AS a", b"\x00\xff"),
        ("SELECT NULL AS a", None),
    ]
    for _ in range(3):
        for query, value in queries:
            got = kic_sql(query)[0]["a"]
            assert got == value and type(got) is type(value), query


def test_the_cache_of_columns_stays_bounded(mysql_db, monkeypatch):
    monkeypatch.setattr(engine_mysql, "MAX_COLUMNS", 4)
    engine_mysql.Connection.columns.clear()
    for n in range(30):
        assert kic_sql(f"SELECT {n} AS c{n}")[0][f"c{n}"] == n
        assert len(engine_mysql.Connection.columns) <= 4
