"""SQL injection: hostile strings go through every function as values and as names.

As values they are stored and read back exactly, and nothing else happens.
As names they are refused before any statement runs: the read functions
raise SqlError, the write functions answer status 0.
"""
import json

import pytest

from tools.db_log import *
from tools.db_tab import *
from tools.sql import *

EVIL = [
    "' OR 1=1 --",
    "1; DROP TABLE users",
    "`; DROP TABLE users; --",
    '" OR ""="',
    "Robert'); DROP TABLE gen;--",
    "\\'; SELECT 1; --",
    "%s %s %% ?",
    "_ ! %",
    "a\\",
    "שלום' OR '1'='1",
    'ש"ח; DELETE FROM logs',
    "😀 \u202e tab\tnew\nline",
    "$.k') --",
    "\u05d0\u05d1 NULL",
]
TABLES = {"users", "ses", "gen", "logs", "cron", "ses_arc", "logs_arc", "cat", "prod"}


def check_one_value(s, n):
    t = insert_to_sql({"table": "users", "set": {"username": s, "LastName": s, "FirstName": s, "Roles": [s]},
                       "data": {"k": s, s: s}})
    assert t["status"] == 1, t
    id = t["id"]
    w = find_in_sql({"table": "users", "fld": "username", "val": s, "what": "id,username,LastName,Roles,data:k",
                     "all": 1})
    assert len(w) == 1 and tuple(w[0]) == (id, s, s, json.dumps([s], ensure_ascii=False), s)
    assert json.loads(w[0]["Roles"]) == [s]
    w = find_in_sql({"table": "users u", "where": {"u.LastName": s, "FirstName": ("=", s), "k": ("=", s, "data")},
                     "what": "u.id", "all": 1})
    assert [x[0] for x in w] == [id]
    assert [x[0] for x in find_in_sql({"table": "users", "where": {"LastName": ("like", s)},
                                       "what": "id", "all": 1})] == [id]
    assert [x[0] for x in find_in_sql({"table": "users", "where": {"username": ("in", [s, "nobody"])},
                                       "what": "id", "all": 1})] == [id]
    assert count_in_sql({"table": "users", "fld": "username", "val": s})[0] == 1
    assert get_data("users", id) == {"k": s, s: s}
    assert get_data("users", s, "username") == {"k": s, s: s}
    assert add_to_data("users", id, s, s + "!")["status"] == 1
    assert add_to_data("users", id, {"k2": s})["status"] == 1
    assert get_data("users", id) == {"k": s, s: s + "!", "k2": s}
    assert add_to_data("users", id, s, "!del")["status"] == 1
    assert get_data("users", id) == {"k": s, "k2": s}
    rec = get_record("users", id)
    assert (rec["username"], rec["k"]) == (s, s)
    assert [r["id"] for r in sql_order({"table": "users", "id": "", "where": {"username": s}})] == [id]
    assert sql_next({"table": "users", "id": "", "where": {"LastName": s}})["username"] == s
    assert insert_to_sql({"table": "users", "id": id, "set": {"FirstName": s + s}})["status"] == 1
    assert find_in_sql({"table": "users", "fld": "id", "val": id, "what": "FirstName"})[0] == s + s
    assert [tuple(x) for x in kic_sql("SELECT username FROM users WHERE username = %s", (s,))] == [(s,)]
    # a token-like id that is hostile text
    assert insert_to_sql({"table": "ses", "set": {"id": s, "user_id": id}})["id"] == s
    assert add_to_data("ses", s, "page", s)["status"] == 1
    assert get_data("ses", s) == {"page": s}
    # gen, db_tab, db_log
    g = insert_to_sql({"table": "gen", "set": {"key1": s, "val1": s}, "data": [s]})
    insert_to_sql({"table": "gen", "set": {"key1": f"{s}_dict", "val1": "0"}, "data": {"col": {s: s}}})
    assert gen_data()[s] == {"id": g["id"], "val": s, "data": [s]}
    assert list_gen_tab(s) == [s]
    assert list_tab_dict(s, "col") == {s: s}
    log_id = add_log(s, s, {s: s})
    assert log_id and add_log_res(log_id, s) == 1
    w = find_in_sql({"table": "logs", "fld": "id", "val": log_id, "what": "act_type,send_text,response"})
    assert tuple(w) == (s, s, s) and get_data("logs", log_id) == {s: s}


def test_hostile_values_are_stored_and_read_back_exactly(db):
    for n, s in enumerate(EVIL):
        check_one_value(s, n)
    assert db.tables() == TABLES
    assert db.query("SELECT COUNT(*) FROM users")[0][0] == len(EVIL)
    assert db.query("SELECT COUNT(*) FROM ses")[0][0] == len(EVIL)
    assert db.query("SELECT COUNT(*) FROM gen")[0][0] == 2 * len(EVIL)
    assert db.query("SELECT COUNT(*) FROM logs")[0][0] == len(EVIL)
    assert sorted(r[0] for r in db.query("SELECT username FROM users")) == sorted(EVIL)


BAD_NAMES = [
    "users; DROP TABLE gen",
    "users --",
    "`users`",
    "users'",
    'us"ers',
    "1users",
    "users.id.x",
    "שלום",
    "id OR 1=1",
    "users)",
    "a b c",
    "data:k; DROP TABLE users",
    "id=1",
    "\u202eusers",
]


def refused(call):
    """A read function raises SqlError, a write function answers status 0."""
    try:
        w = call()
    except SqlError:
        return True
    if isinstance(w, dict) and w.get("status") == 0 and w.get("err"):
        return True
    if isinstance(w, dict) and isinstance(w.get("status"), SqlError):
        return True     # the database refused it (Flyton's {"status": err})
    if hasattr(w, "__next__"):
        return refused(lambda: list(w))
    return False


def calls_with_name(b):
    users = {"table": "users"}
    return {
        "find table": lambda: find_in_sql({"table": b}),
        "find alias": lambda: find_in_sql({"table": f"users {b}"}),
        "find fld": lambda: find_in_sql({**users, "fld": b, "val": 1}),
        "find what": lambda: find_in_sql({**users, "what": f"id,{b}"}),
        "find what key": lambda: find_in_sql({**users, "what": f"data:{b}"}),
        "find where": lambda: find_in_sql({**users, "where": {b: 1}}),
        "find where op": lambda: find_in_sql({**users, "where": {"id": (b, 1)}}),
        "find where data col": lambda: find_in_sql({**users, "where": {"k": ("=", 1, b)}}),
        "find where data key": lambda: find_in_sql({**users, "where": {b: ("=", 1, "data")}}),
        "find sort": lambda: find_in_sql({**users, "sort": b}),
        "find sortj": lambda: find_in_sql({**users, "sortj": b}),
        "find sortj key": lambda: find_in_sql({**users, "sortj": f"data:{b}"}),
        "find grp": lambda: find_in_sql({**users, "grp": b}),
        "find join tab": lambda: find_in_sql({**users, "join": [{"jtab": b, "on": "id"}]}),
        "find join on": lambda: find_in_sql({**users, "join": [{"jtab": "ses s", "on": b}]}),
        "find join jon": lambda: find_in_sql({**users, "ljoin": [{"jtab": "ses s", "on": "id", "jon": b}]}),
        "find join And": lambda: find_in_sql({**users, "rjoin": [{"jtab": "ses s", "on": "id", "And": b}]}),
        "find join And dict": lambda: find_in_sql({**users, "join": [{"jtab": "ses s", "on": "id",
                                                                        "And": {b: 1}}]}),
        "find limit": lambda: find_in_sql({**users, "limit": b}),
        "count table": lambda: count_in_sql({"table": b}),
        "count where": lambda: count_in_sql({**users, "where": {b: 1}}),
        "insert table": lambda: insert_to_sql({"table": b, "set": {"username": "x"}}),
        "insert column": lambda: insert_to_sql({"table": "users", "set": {b: "x"}}),
        "update column": lambda: insert_to_sql({"table": "users", "id": 10000, "set": {b: "x"}}),
        "order table": lambda: sql_order({"table": b, "id": ""}),
        "order where": lambda: sql_order({"table": "users", "id": "", "where": {b: 1}}),
        "next table": lambda: sql_next({"table": b, "id": ""}),
        "get_data table": lambda: get_data(b, 10000),
        "get_data fld": lambda: get_data("users", 10000, b),
        "add_to_data table": lambda: add_to_data(b, 10000, "k", 1),
        "get_record table": lambda: get_record(b, 10000),
        "get_record fld": lambda: get_record("users", 10000, b),
    }


def test_hostile_names_are_refused_everywhere(db):
    t = insert_to_sql({"table": "users", "set": {"username": "dana"}, "data": {"k": 1}})
    assert t["id"] == 10000
    let_through = []
    for b in BAD_NAMES:
        for what, call in calls_with_name(b).items():
            if not refused(call):
                let_through.append((what, b))
    assert let_through == [], let_through
    assert db.tables() == TABLES
    assert [tuple(r) for r in db.query("SELECT id, username, data FROM users")] == [(10000, "dana", '{"k": 1}')]


def test_an_empty_name_is_refused_where_a_name_is_needed(db):
    for call in (lambda: find_in_sql({"table": ""}), lambda: find_in_sql({"table": "users", "fld": "", "val": 1}),
                 lambda: find_in_sql({"table": "users", "where": {"": 1}}),
                 lambda: insert_to_sql({"table": "users", "set": {"": 1}}), lambda: get_data("", 1)):
        assert refused(call)


def test_a_refused_name_says_which_name(db):
    with pytest.raises(SqlError, match=r"bad column name 'id; DROP TABLE users'"):
        find_in_sql({"table": "users", "fld": "id; DROP TABLE users", "val": 1})
    t = insert_to_sql({"table": "users; DROP TABLE users", "set": {"username": "x"}})
    assert t["status"] == 0 and "bad table name" in t["err"]
