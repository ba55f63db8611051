"""sql_order and sql_next: id order, keyset batches, flat memory on 200,000 rows."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inphms.sql import cursor
from tools.sql import *

ROOT = Path(__file__).resolve().parents[2]
BIG = 200_000


def fill(n, active=lambda i: 1):
    for i in range(n):
        insert_to_sql({"table": "prod", "set": {"name": f"p{i}", "price": i, "is_active": active(i)}})


def test_sql_order_walks_in_id_order_across_batches(db):
    fill(50, active=lambda i: int(i % 5 != 0))
    rows = list(sql_order({"table": "prod", "id": "", "batch": 7}))
    assert [r["name"] for r in rows] == [f"p{i}" for i in range(50) if i % 5]
    assert all(isinstance(r, dict) for r in rows) and rows[0]["id"] == 4001
    assert set(rows[0]) >= {"id", "name", "price", "is_active", "created_at", "updated_at", "data"}


def test_sql_order_as_flyton_code_writes_it(db):
    fill(12)
    id = ""
    seen = []
    for obj in sql_order({"table": "prod", "id": id}):
        id = obj["id"]
        seen.append(id)
    assert seen == list(range(4000, 4012)) and id == 4011


def test_sql_order_start_where_and_is_active(db):
    fill(30, active=lambda i: int(i < 20))
    assert [r["price"] for r in sql_order({"table": "prod", "id": 4024, "is_active": 0})] == list(range(25, 30))
    assert [r["price"] for r in sql_order({"table": "prod", "id": "", "where": {"price": (">=", 17)},
                                           "batch": 2})] == [17, 18, 19]
    assert len(list(sql_order({"table": "prod", "id": "", "is_active": None}))) == 30
    assert list(sql_order({"table": "prod", "id": 4029, "is_active": None})) == []


def test_sql_order_on_token_ids(db):
    for t in ("b", "a", "c"):
        insert_to_sql({"table": "ses", "set": {"id": t * 84, "user_id": 1}})
    assert [r["id"][0] for r in sql_order({"table": "ses", "id": "", "batch": 2})] == ["a", "b", "c"]


def test_sql_next_steps_through_the_table(db):
    fill(5, active=lambda i: int(i != 2))
    id, seen = "", []
    while True:
        w = sql_next({"table": "prod", "id": id})
        if w["id"] == "":
            break
        id = w["id"]
        seen.append(w["name"])
    assert seen == ["p0", "p1", "p3", "p4"]
    assert sql_next({"table": "prod", "id": 4001, "is_active": 0})["name"] == "p2"
    assert sql_next({"table": "prod", "id": "", "where": {"price": (">", 3)}})["name"] == "p4"
    assert sql_next({"table": "prod", "id": 4004}) == {"id": ""}


def test_bad_names_in_sql_order_raise(db):
    with pytest.raises(SqlError):
        list(sql_order({"table": "prod; DROP TABLE prod", "id": ""}))
    with pytest.raises(SqlError):
        sql_next({"table": "prod", "id": "", "where": {"x y": 1}})


CHILD = r"""
import json, os, sys
sys.path.insert(0, os.environ["INPHMS_ROOT"])
import inphms
from inphms.config import config
config.options.update(json.loads(os.environ["INPHMS_TEST_DB"]))
from tools.sql import *

def peak_kb():
    # VmHWM, not ru_maxrss: ru_maxrss starts at the parent's peak (pytest's).
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("VmHWM:")).split()[1])

assert sql_next({"table": "prod", "id": ""})["id"] == 4000
base = peak_kb()
n = last = 0
if sys.argv[1] == "order":
    id = ""
    for p in sql_order({"table": "prod", "id": id}):
        assert p["id"] > last
        id = last = p["id"]
        n += 1
else:
    n = len(find_in_sql({"table": "prod", "all": 1}))
print(json.dumps({"rows": n, "base_kb": base, "growth_kb": peak_kb() - base}))
"""


def build_big_table():
    text = "x" * 200
    with cursor(tx=True) as cr:
        for start in range(0, BIG, 10_000):
            cr.executemany("INSERT INTO prod (name, price, note, data) VALUES (%s, %s, %s, %s)",
                           [(f"{text}{i}", i, "n", json.dumps({"i": i})) for i in range(start, start + 10_000)])


def walk(db, mode):
    env = dict(os.environ, INPHMS_ROOT=str(ROOT), INPHMS_TEST_DB=json.dumps(db.options))
    done = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sql_order_memory_stays_flat_on_200000_rows(db, record_property):
    build_big_table()
    assert count_in_sql({"table": "prod"})[0] == BIG
    walked = walk(db, "order")
    loaded = walk(db, "all")
    assert walked["rows"] == loaded["rows"] == BIG
    record_property("sql_order_peak_rss_growth_kb", walked["growth_kb"])
    record_property("find_all_peak_rss_growth_kb", loaded["growth_kb"])
    print(f"\n[{db.engine}] {BIG} rows, peak RSS {walked['base_kb']} KiB before; growth: "
          f"sql_order walk {walked['growth_kb']} KiB, find_in_sql all {loaded['growth_kb']} KiB")
    # Loading every row costs far more than the walk: the measure can tell them apart.
    assert loaded["growth_kb"] > 60 * 1024
    assert walked["growth_kb"] < 16 * 1024
