"""Text where and set, as Flyton code writes them: parsed into parameters, on both engines."""
import datetime
import os

import pytest

from inphms.sql import textsql
from tools.sql import *

from .test_safety import EVIL


def names(rows):
    return [r["name"] for r in rows or []]


@pytest.fixture
def shop(db):
    for n, p, c, d in (("green tea", 1200, 300, {"size": "big", "n": 3}), ("black tea", 900, 300, {"n": 1}),
                       ("espresso", 900, 301, {"size": "small", "n": 12}), ("latte", 1500, 301, None)):
        r = {"table": "prod", "set": {"name": n, "price": p, "cat_id": c}}
        if d:
            r["data"] = d
        assert insert_to_sql(r)["status"]
    insert_to_sql({"table": "prod", "set": {"name": "old mug", "price": 500, "is_active": 0}})
    return db


def test_text_where_gives_what_the_dict_gives(shop):
    q = {"table": "prod", "what": "name", "all": 1, "sort": "id"}
    assert names(find_in_sql({**q, "where": "is_active>0"})) == names(find_in_sql({**q, "is_active": 1}))
    assert names(find_in_sql({**q, "where": "price >= 1000 AND cat_id = 300"})) == ["green tea"]
    assert names(find_in_sql({**q, "where": "(price < 1000 OR cat_id = 301) AND NOT name LIKE '%tea%'"})) \
        == ["espresso", "latte", "old mug"]
    assert names(find_in_sql({**q, "where": "name IN ('latte', 'espresso', 'it''s')"})) == ["espresso", "latte"]
    assert names(find_in_sql({**q, "where": "price BETWEEN 900 AND 1200 AND is_active=1"})) \
        == ["green tea", "black tea", "espresso"]
    assert names(find_in_sql({**q, "where": "data IS NULL"})) == ["latte", "old mug"]
    assert names(find_in_sql({**q, "where": "data IS NOT NULL AND price <> 900"})) == ["green tea"]
    assert names(find_in_sql({**q, "where": 'name = "black tea"'})) == ["black tea"]
    assert names(find_in_sql({**q, "where": "price + 100 = 1000"})) == ["black tea", "espresso"]
    # with fld/val and is_active, as cgi.py writes it
    w = find_in_sql({"table": "prod", "fld": "cat_id", "val": 301, "what": "name", "where": "price>1000"})
    assert w["name"] == "latte"
    assert count_in_sql({"table": "prod", "where": "cat_id=300"})[0] == 2


def test_json_arrows_on_both_engines(shop):
    q = {"table": "prod", "what": "name", "all": 1, "sort": "id"}
    assert names(find_in_sql({**q, "where": 'data->"$.size"="big"'})) == ["green tea"]
    assert names(find_in_sql({**q, "where": "data->>'$.size' = 'small'"})) == ["espresso"]
    assert names(find_in_sql({**q, "where": "data->>'$.n' > 2"})) == ["green tea", "espresso"]
    w = find_in_sql({"table": "prod", "fld": "name", "val": "espresso", "what": "id"})
    assert insert_to_sql({"table": "prod", "id": w[0], "set": 'data=\'{"cont_id": "7"}\''})["status"]
    assert names(find_in_sql({**q, "where": 'data->"$.cont_id"="7"'})) == ["espresso"]


def test_now_and_date_sub_on_both_engines(shop):
    a = find_in_sql({"table": "prod", "fld": "name", "val": "latte", "what": "id"})[0]
    old = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=30)
    run_sql("UPDATE prod SET updated_at = %s WHERE id = %s", (old, a))
    q = {"table": "prod", "what": "name", "all": 1, "sort": "id"}
    assert names(find_in_sql({**q, "where": "updated_at<DATE_SUB(NOW(),INTERVAL 24 HOUR)"})) == ["latte"]
    assert names(find_in_sql({**q, "where": "updated_at<DATE_SUB(NOW(), INTERVAL 31 HOUR)"})) == []
    assert names(find_in_sql({**q, "where": "updated_at > DATE_SUB(CURRENT_TIMESTAMP, INTERVAL 2 DAY)"})) \
        == ["green tea", "black tea", "espresso", "latte", "old mug"]
    assert names(find_in_sql({**q, "where": "created_at < DATE_ADD(NOW(), INTERVAL 1 MINUTE) AND price=1500"})) \
        == ["latte"]
    # the ttl of db_ses.ses_list comes in an f-string
    ttl = 24
    assert names(find_in_sql({**q, "where": f"updated_at<DATE_SUB(NOW(),INTERVAL {ttl} HOUR)"})) == ["latte"]
    assert insert_to_sql({"table": "prod", "id": a, "set": "updated_at=NOW()"})["status"]
    assert names(find_in_sql({**q, "where": "updated_at<DATE_SUB(NOW(),INTERVAL 24 HOUR)"})) == []


def test_text_set_inserts_and_updates(db):
    ses, uid = "3f2a9c41d0e84b7a9e5f6a1b2c3d4", 10000
    t = insert_to_sql({"table": "ses", "set": f"id='{ses}',user_id={uid}"})
    assert t["status"] and t["id"] == ses
    w = find_in_sql({"table": "ses", "fld": "id", "val": ses, "what": "user_id,is_active", "where": "is_active>0"})
    assert tuple(w) == (uid, 1)
    t = insert_to_sql({"table": "prod", "set": "name='tea', price=10, cat_id=NULL", "data": {"k": "v"}})
    assert t["status"] and get_data("prod", t["id"]) == {"k": "v"}
    assert insert_to_sql({"table": "prod", "id": t["id"], "set": "price=price*2+1, is_active=0"})["status"]
    w = find_in_sql({"table": "prod", "fld": "id", "val": t["id"], "what": "name,price,cat_id,is_active"})
    assert tuple(w) == ("tea", 21, None, 0)
    # Flyton's own helpers build set text: sql_set / sql_var
    assert insert_to_sql({"table": "prod", "id": t["id"], "set": sql_set({"name": 'a "b\' c\\', "price": 3})})["status"]
    assert tuple(find_in_sql({"table": "prod", "fld": "id", "val": t["id"], "what": "name,price"})) \
        == ('a "b\' c\\', 3)
    # a column in the set of a new row, and a where in a set, are refused
    for bad in ("name=price", "name='x' WHERE id=1"):
        t = insert_to_sql({"table": "prod", "set": bad})
        assert t["status"] == 0 and "test_text.py:" in t["err"] and "refused" in t["err"], t


def test_injection_through_text_forms_is_stored_verbatim_or_refused(shop):
    before = {t: run_sql(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("users", "prod", "gen", "logs")}
    stored = refused = 0
    for s in EVIL:
        try:
            t = insert_to_sql({"table": "prod", "set": f"name='{s}',price=1"})
        except SqlError:
            t = {"status": 0, "err": "raised"}
        if not t["status"]:
            refused += 1
            assert "refused" in t["err"] or t["err"] == "raised", t
            continue
        stored += 1
        w = find_in_sql({"table": "prod", "fld": "id", "val": t["id"], "what": "name,price,is_active"})
        assert tuple(w) == (s, 1, 1), s
        try:
            found = find_in_sql({"table": "prod", "what": "id", "all": 1, "where": f"name='{s}'"})
        except SqlError:
            continue
        assert [x[0] for x in found] == [t["id"]], s
    for s in EVIL:
        with pytest.raises(SqlError):
            found = find_in_sql({"table": "prod", "what": "name", "all": 1, "where": f"name='{s}' AND price=1"})
            # a value that stayed inside its quotes is just a value
            assert [x[0] for x in found or []] in ([], [s]), s
            raise SqlError("not refused, and matched its own row only")
    assert stored and refused
    after = {t: run_sql(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("users", "gen", "logs")}
    assert after == {k: before[k] for k in after}
    assert run_sql("SELECT COUNT(*) FROM prod")[0][0] == before["prod"] + stored
    assert names(find_in_sql({"table": "prod", "what": "name", "all": 1, "where": "price>1", "sort": "id"})) \
        == ["green tea", "black tea", "espresso", "latte", "old mug"]


def test_classic_breakouts_are_refused(db):
    for s in ["x' OR '1'='1", "x' OR id<>'", "x', is_active='0", "x'; DROP TABLE users; --"]:
        with pytest.raises(SqlError, match=r"test_text\.py:\d+: text .* refused"):
            find_in_sql({"table": "ses", "what": "id", "where": f"id='{s}'"})
        with pytest.raises(SqlError, match=r"refused"):
            t = insert_to_sql({"table": "ses", "set": f"id='{s}',user_id=1"})
            raise SqlError(t["err"])


def test_outside_the_grammar_is_refused_naming_file_and_line():
    cases = {
        "id=(SELECT 1)": "SELECT",
        "id=1 UNION SELECT 1": "UNION",
        "id=1 -- x": "comment",
        "id=1 /* x */": "comment",
        "id=1; DROP TABLE users": "';'",
        "SLEEP(1)=0": "SLEEP",
        "id=1 OR 1": "not a condition",
        "'1'='1'": "column",
        "EXISTS (id)": "",
        "data->'$[0]' = 1": "JSON path",
        "updated_at < DATE_SUB(NOW(), INTERVAL 1 FORTNIGHT)": "",
        "id = %s": "",
    }
    for text, word in cases.items():
        with pytest.raises(SqlError) as info:
            textsql.where_sql(FakeEngine, text)
        m = str(info.value)
        assert "test_text.py:" in m and word in m, (text, m)


class FakeEngine:
    """Only the name and quoting of an engine: the grammar check needs no database."""
    name = "mysql"

    @staticmethod
    def quote(n):
        return f"`{n}`"


def test_a_line_keeps_its_form_when_the_text_comes_from_a_variable():
    def where(text):
        return textsql.where_sql(FakeEngine, text)   # one calling line, texts from outside

    assert where("id = 'a'") == ("`id` = %s", ["a"])
    assert where("id = 'b'") == ("`id` = %s", ["b"])
    with pytest.raises(SqlError, match="another form"):
        where("id = 'a' OR id <> ''")


def test_shapes_are_cached_per_form():
    textsql.compile_shape.cache_clear()
    for i in range(50):
        assert textsql.where_sql(FakeEngine, f"user_id={i} AND id='t{i}'") == \
            ("`user_id` = %s AND `id` = %s", [i, f"t{i}"])
    info = textsql.compile_shape.cache_info()
    assert (info.misses, info.hits) == (1, 49)


def test_sql_order_and_sql_next_take_a_text_where(shop):
    w = [p["name"] for p in sql_order({"table": "prod", "id": "", "batch": 2, "where": "price <= 1200"})]
    assert w == ["green tea", "black tea", "espresso"]
    first = sql_next({"table": "prod", "id": "", "where": "cat_id = 301"})
    assert first["name"] == "espresso"
    assert sql_next({"table": "prod", "id": first["id"], "where": "cat_id = 301"})["name"] == "latte"


def test_a_helper_passing_a_callers_text_is_pinned_not_refused():
    def find_ses(where):
        return textsql.where_sql(FakeEngine, where)    # the statement has no text of its own

    assert find_ses("user_id = 5")[1] == [5]
    assert find_ses("user_id = 6")[1] == [6]
    with pytest.raises(SqlError, match="another form"):
        find_ses("user_id = 6 OR user_id <> 0")


def test_an_edited_and_reloaded_file_gives_its_new_forms(tmp_path):
    import importlib.util
    import time
    path = tmp_path / "flypage.py"

    def load(text):
        path.write_text("from inphms.sql import textsql\n\n"
                        "def find(eng, v):\n"
                        f"    return textsql.where_sql(eng, f\"{text}\")\n")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        spec = importlib.util.spec_from_file_location("flypage", path)
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        return m

    m = load("id='{v}'")
    assert m.find(FakeEngine, "a") == ("`id` = %s", ["a"])
    m = load("user_id={v} AND is_active=1")
    assert m.find(FakeEngine, 5) == ("`user_id` = %s AND `is_active` = %s", [5, 1])
    with pytest.raises(SqlError, match="form"):
        m.find(FakeEngine, "5 OR 1=1")
