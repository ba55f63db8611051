"""Flyton's tool functions that inphms lacked, with Flyton's signatures and shapes, on both engines."""
import datetime
import threading

import pytest

from tools.db_ses import *
from tools.kicapi import mores
from tools.kicjson import *
from tools.sql import *

from .test_safety import EVIL


def test_kic_sql_delete(db):
    a = insert_to_sql({"table": "prod", "set": {"name": "a"}})["id"]
    assert kic_sql_delete({"table": "prod", "id": a}) == {"status": 1}
    assert kic_sql_delete({"table": "prod", "id": a}) == {"status": 0, "err": "not deleted"}
    assert find_in_sql({"table": "prod", "fld": "id", "val": a}) is False
    assert kic_sql_delete({"table": "prod; DROP TABLE users", "id": a})["status"] == 0


def test_get_next_counter_never_gives_a_number_twice(db):
    insert_to_sql({"table": "gen", "set": {"key1": "inv_num", "val1": "100"}})
    assert get_next_counter("num", "inv", {"by": "eli"}) == 101
    assert gen_data()["inv_num"] == {"id": gen_data()["inv_num"]["id"], "val": "101", "data": {"by": "eli"}}
    got, lock = [], threading.Lock()

    def take():
        for _ in range(5):
            n = get_next_counter("num", "inv")
            with lock:
                got.append(n)
    ts = [threading.Thread(target=take) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(got) == list(range(102, 132))
    assert get_next_counter("num", "nosuch") == -1


def test_import_state(db):
    run_sql("CREATE TABLE import (id int, type varchar(20), count int, is_active int)")
    assert import_state("cust") == {"count": 0, "lines": 0, "updated_at": ""}
    for i, (t, c) in enumerate([("cust", 7), ("cust", 8), ("cust", 8), ("prod", 9)]):
        run_sql("INSERT INTO import VALUES (%s, %s, %s, 1)", (i, t, c))
    assert import_state("cust") == {"count": 0, "lines": 0, "updated_at": ""}    # no gen row yet
    insert_to_sql({"table": "gen", "set": {"key1": "cust_import", "val1": "0"}})
    w = import_state("cust")
    assert (w["count"], w["lines"]) == (8, 2) and isinstance(w["updated_at"], datetime.datetime)


def test_dic_of_table_and_array2obj(db):
    d = dic_of_table("prod")
    assert [x[0] for x in d[:2]] == ["id", "name"] and all(len(x) == 6 for x in d)
    assert dic_of_table("prod") is d                      # read once
    t = insert_to_sql({"table": "prod", "set": {"name": "tea", "price": 5}})
    w = kic_sql("SELECT * FROM prod")
    o = array2obj(w[0], d)
    assert (o["id"], o["name"], o["price"]) == (t["id"], "tea", 5)
    with pytest.raises(SqlError):
        dic_of_table("prod`; DROP TABLE users")


def test_is_gen_table(db):
    insert_to_sql({"table": "gen", "set": {"key1": "color_tab"}, "data": {"tab_type": "gen"}})
    insert_to_sql({"table": "gen", "set": {"key1": "size_tab"}, "data": {"tab_type": "big"}})
    assert (is_gen_table("color"), is_gen_table("size"), is_gen_table("nosuch")) == (1, 0, 0)


def test_kic_refine_validate_email_validate_datemdy():
    assert kic_refine("name", " Eli ", {"strip": 1, "toLower": 1}) == "eli"
    assert kic_refine("id", "42", {"fill_zeros": 5}) == "00042"
    assert kic_refine("n", "a-b-c", {"cln": ["-"]}) == "abc"
    assert kic_refine("n", "ab", {"min": 3})["status"] == 0
    assert kic_refine("n", "abcd", {"max": 3})["err"] == "length of n too long"
    assert kic_refine("n", "x", {"list": ["a", "b"]})["status"] == 0
    assert kic_refine("n", "x1", {"regex": r"^\d+$"})["status"] == 0
    assert kic_refine("m", "a@b.co", {"is": ["email"]}) == "a@b.co"
    assert kic_refine("m", "a@b", {"is": ["email"]})["status"] == 0
    assert kic_refine("y", "כן", {"is": ["yesno"]}) == 1
    assert kic_refine("d", "11/30/2024", {"is": ["date/mdy"]}) == "2024-11-30"
    assert kic_refine("b", "1", {"is": ["bool01"]}) == 1 and kic_refine("b", "2", {"is": ["bool01"]})["status"] == 0
    assert kic_refine("p", "054-1234567", {"is": ["phone"]}) == "054-1234567"
    assert kic_refine("p", "054", {"is": ["phone"]})["errcode"] == 101
    assert kic_refine("e", "", {"min": 3}) == ""
    assert validate_email("dana@example.com") and not validate_email("dana at example")
    assert validate_datemdy("2/3/2020") == "2020-02-03"
    assert validate_datemdy("13/3/2020")["status"] == 0 and validate_datemdy("x")["status"] == 0


def test_kic_config_and_kic_sql_connect(db):
    c = kic_config()
    assert c.database == c.db_name and c.hostname == c.db_host and c.username == c.db_user
    with pytest.raises(AttributeError):
        c.nosuch
    with kic_sql_connect() as cr:
        cr.execute("SELECT COUNT(*) FROM users")
        assert cr.fetchone()[0] == 0


def test_kic_geresh_sql_var_sql_set_sql_where():
    assert kic_geresh(5) == "5" and kic_geresh(2.5) == "2.5" and kic_geresh(None) == "NULL"
    assert kic_geresh("it's") == "'it''s'" and kic_geresh(True) == "1"
    assert sql_var("name", "eli") == "name='eli'" and sql_var("n", 3) == "n=3"
    assert sql_var("order", 1) == "`order`=1"
    assert sql_var("data", {"a": "b"}) == """data='{"a": "b"}'"""
    assert sql_var("id", [1, 2], " in ") == "id IN (1,2)"
    assert sql_set({"name": "eli", "phone": "054"}) == "name='eli',phone='054'"
    assert sql_set("a=1") == "a=1"
    assert sql_where("is_active>0") == ("is_active>0", 1)
    assert sql_where({"id": 44, "date": (">", "2024-12-28"), "price": (">", 0, "data")}) \
        == ("id=44 AND date>'2024-12-28' AND data->>'$.price'>0", 3)
    for bad in (lambda: sql_var("a b", 1), lambda: sql_var("a", 1, "; DROP"), lambda: sql_set({"x`": 1}),
                lambda: sql_where({"k": (">", 1, "da ta")})):
        with pytest.raises(SqlError):
            bad()


def test_flyton_builders_carry_hostile_values_verbatim(db):
    for s in EVIL:
        t = insert_to_sql({"table": "prod", "set": sql_set({"name": s, "price": 7})})
        assert t["status"], (s, t)
        w = find_in_sql({"table": "prod", "what": "id,name", "all": 1, "where": sql_where({"name": s})[0]})
        assert [tuple(x) for x in w] == [(t["id"], s)], s
        w = find_in_sql({"table": "prod", "what": "id", "all": 1,
                         "where": sql_where({"name": ("like", s), "price": 7})[0]})
        assert [x[0] for x in w] == [t["id"]], s
        assert add_to_data("prod", t["id"], "k", s)["status"]
        w = find_in_sql({"table": "prod", "what": "id", "all": 1, "where": sql_where({"k": ("=", s, "data")})[0]})
        assert [x[0] for x in w] == [t["id"]], s
    assert kic_sql("SELECT COUNT(*) FROM prod")[0][0] == len(EVIL)
    assert kic_sql("SELECT COUNT(*) FROM users")[0][0] == 0


def test_sql_join_sql_what_sql_sortj_sqd_build_checked_text(db):
    assert sql_join("b", {"join": [{"jtab": "cat c", "on": "cat_id"}],
                          "ljoin": [{"jtab": "users", "on": "uid", "jon": "id", "And": "users.is_active = 1"}]}) \
        == "INNER JOIN cat c ON b.cat_id=c.id LEFT JOIN users ON b.uid=users.id  AND users.is_active=1"
    key = "JSON_UNQUOTE(JSON_EXTRACT(data,'$.sort'))" if db.engine == "mysql" else "json_extract(data,'$.sort')"
    assert sql_what("id,name,data:sort") == f"id,name,{key}"
    cast = "SIGNED" if db.engine == "mysql" else "INTEGER"
    assert sql_sortj("data:sort:int/desc") == f"CAST({key} AS {cast}) DESC"
    assert sql_sortj("price") == "price" and sql_sortj("sort::desc") == "sort DESC"
    assert sqd("color") == "json_extract(data,'$.color')"
    for bad in (lambda: sql_join("b", {"join": [{"jtab": "cat; DROP", "on": "x"}]}),
                lambda: sql_join("b", {"join": [{"jtab": "cat", "on": "x", "And": "1=1 OR 1"}]}),
                lambda: sql_what("id,(SELECT 1)"), lambda: sql_sortj("data:so rt"), lambda: sqd("a')--")):
        with pytest.raises(SqlError):
            bad()
    # the texts run on both engines when pasted into raw SQL
    insert_to_sql({"table": "prod", "set": {"name": "a"}, "data": {"sort": "10", "color": "red"}})
    insert_to_sql({"table": "prod", "set": {"name": "b"}, "data": {"sort": "9", "color": "blue"}})
    w = kic_sql(f"SELECT {sql_what('name,data:color')}, {sqd('color')} FROM prod ORDER BY {sql_sortj('data:sort:int')}")
    q = '"' if db.engine == "mysql" else ""        # sqd is json_extract, as Flyton's: JSON text on MySQL
    assert [tuple(x) for x in w] == [("b", "blue", f"{q}blue{q}"), ("a", "red", f"{q}red{q}")], w


def test_ses_list_live_url_create_new_ses_add2ses(db):
    a = create_new_ses(10000)
    b = create_new_ses(10001, {"cont_id": "77"})
    assert isinstance(a, str) and len(a) == 84
    old = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=30)
    run_sql("UPDATE ses SET updated_at = %s WHERE id = %s", (old, a))
    w = ses_list({"ttl": 24})
    assert [x["id"] for x in w] == [a] and len(w[0]) == len(dic_of_table("ses"))
    assert ses_list({"ttl": 48}) is False
    assert live_url("77") == ""                         # only sessions with is_active 2
    run_sql("UPDATE ses SET is_active = 2 WHERE id = %s", (b,))
    assert live_url(77) == f"/pages/renew.html?ses={b}&a=1&admi=1"
    assert add2ses("x" * 84, {"k": 1}) is False and add2ses("bad", {"k": 1}) is False
    assert add2ses(a, {"k": 1})["status"]


def test_mores_and_kicjson():
    assert mores({"price": 100.40, "mam": 0.18}) == ',"price":"100.4","mam":"0.18"'
    assert mores({'a"b': 'x", "allow": 1'}) == ',"a\\"b":"x\\", \\"allow\\": 1"'
    assert obj2str({"d": datetime.date(2024, 1, 2), "n": [1]}) == '{"d": "2024-01-02", "n": [1]}'
    rows = [{"id": 100, "name": "a"}, {"id": "04", "name": "b"}]
    g = vec2global(rows)
    assert g == {100: rows[0], "04": rows[1]}
    assert global2vec({"x": {"name": "a"}}) == [{"name": "a", "id": "x"}]


def test_update_at_and_updated_at_are_twins_on_both_engines(db):
    ses = create_new_ses(10000)
    rec = get_record("ses", ses)
    assert rec["update_at"] == rec["updated_at"] and isinstance(rec["update_at"], datetime.datetime)
    old = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=30)
    assert insert_to_sql({"table": "ses", "id": ses, "set": {"updated_at": old}})["status"]
    w = find_in_sql({"table": "ses", "fld": "id", "val": ses, "what": "update_at,updated_at"})
    assert tuple(w) == (old, old)
    # Flyton's names, in its own forms
    assert find_in_sql({"table": "ses", "what": "id", "all": 1,
                        "where": "update_at<DATE_SUB(NOW(),INTERVAL 24 HOUR)"})[0]["id"] == ses
    assert [x["id"] for x in ses_list({"ttl": 24})] == [ses]
    # any other change moves both
    assert insert_to_sql({"table": "ses", "id": ses, "set": {"user_id": 10001}})["status"]
    w = find_in_sql({"table": "ses", "fld": "id", "val": ses, "what": "update_at,updated_at"})
    assert w[0] == w[1] and w[0] > old
    assert insert_to_sql({"table": "ses", "id": ses, "set": f"update_at='{old}'"})["status"]
    assert tuple(find_in_sql({"table": "ses", "fld": "id", "val": ses, "what": "update_at,updated_at"})) == (old, old)
    assert insert_to_sql({"table": "ses", "id": ses, "set": "update_at=NOW()"})["status"]
    w = find_in_sql({"table": "ses", "fld": "id", "val": ses, "what": "update_at,updated_at"})
    assert w[0] == w[1] and w[0] > old
    # a table with one of the two is written as it is
    t = insert_to_sql({"table": "prod", "set": {"name": "x", "updated_at": old}})
    assert find_in_sql({"table": "prod", "fld": "id", "val": t["id"], "what": "updated_at"})[0] == old
