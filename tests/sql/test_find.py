"""find_in_sql and count_in_sql: every option, on both engines."""
import pytest

from tools.sql import *

PRODS = [  # name, cat_id, price, is_active, data
    ("green tea", 300, 1200, 1, {"size": "big", "rank": 3, "tags": ["hot"], "o": {"a": 1}}),
    ("black tea", 300, 800, 1, {"size": "small", "rank": 10}),
    ("espresso", 301, 900, 1, {"size": "small", "rank": 2}),
    ("latte", 301, 1500, 1, {"size": "big", "rank": 1, "milk": "yes"}),
    ("old mug", 302, 500, 0, {}),
    ("תה נענע", 300, 1000, 1, None),
]


@pytest.fixture
def shop(db):
    for name, a in (("tea", 1), ("coffee", 1), ("old", 0)):
        insert_to_sql({"table": "cat", "set": {"name": name, "is_active": a}})
    for name, cat_id, price, a, data in PRODS:
        r = {"table": "prod", "set": {"name": name, "cat_id": cat_id, "price": price, "is_active": a}}
        if data is not None:
            r["data"] = data
        assert insert_to_sql(r)["status"] == 1
    return db


def names(rows):
    return [w["name"] for w in rows]


def test_fld_val_gives_the_first_row_indexable_by_position_and_name(shop):
    w = find_in_sql({"table": "prod", "fld": "name", "val": "latte", "what": "id,name,price"})
    assert (w[0], w[1], w[2]) == (4003, "latte", 1500)
    assert (w["id"], w["name"], w["price"]) == (4003, "latte", 1500)
    assert w[-1] == 1500 and len(w) == 3 and tuple(w) == (4003, "latte", 1500)
    id, name, price = w
    assert dict(w) == {"id": 4003, "name": "latte", "price": 1500}
    with pytest.raises(KeyError):
        w["nope"]


def test_no_match_is_false_and_all_gives_a_list(shop):
    assert find_in_sql({"table": "prod", "fld": "name", "val": "cola"}) is False
    assert find_in_sql({"table": "prod", "fld": "name", "val": "cola", "all": 1}) is False
    w = find_in_sql({"table": "prod", "fld": "cat_id", "val": 300, "what": "name", "all": 1, "sort": "id"})
    assert names(w) == ["green tea", "black tea", "תה נענע"]
    # Flyton tests the key: "all": 0 gives the list too
    assert names(find_in_sql({"table": "prod", "fld": "cat_id", "val": 300, "all": 0, "sort": "id"}))[0] == "green tea"


def test_what_star_columns_alias_and_aggregates(shop):
    w = find_in_sql({"table": "prod", "fld": "id", "val": 4000, "what": "*"})
    assert w["name"] == "green tea" and w[0] == 4000 and "created_at" in w.keys()
    w = find_in_sql({"table": "prod p", "fld": "p.id", "val": 4000, "what": "p.name AS n, p.price pr, p.*"})
    assert (w["n"], w["pr"], w["cat_id"]) == ("green tea", 1200, 300)
    w = find_in_sql({"table": "prod", "what": "cat_id,count(id),sum(price) total,max(price)",
                     "is_active": 1, "grp": "cat_id", "sort": "cat_id", "all": 1})
    assert [tuple(x) for x in w] == [(300, 3, 3000, 1200), (301, 2, 2400, 1500)]
    assert w[0]["count(id)"] == 3 and w[1]["total"] == 2400 and w[1]["max(price)"] == 1500


def test_what_data_key_gives_the_json_values(shop):
    w = find_in_sql({"table": "prod", "fld": "id", "val": 4000,
                     "what": "name,data:size,data:rank,data:tags,data:o,data:none"})
    assert tuple(w) == ("green tea", "big", 3, ["hot"], {"a": 1}, None)
    assert w["size"] == "big" and w["tags"] == ["hot"]
    w = find_in_sql({"table": "prod", "fld": "id", "val": 4005, "what": "data:size sz"})
    assert w["sz"] is None


def test_where_operators(shop):
    def q(where, **more):
        return names(find_in_sql({"table": "prod", "where": where, "all": 1, "sort": "id", **more}) or [])
    assert q({"price": 900}) == ["espresso"]
    assert q({"price": ("=", 900)}) == ["espresso"]
    assert q({"cat_id": ("!=", 300), "is_active": 1}) == ["espresso", "latte"]
    assert q({"price": ("<", 900)}) == ["black tea", "old mug"]
    assert q({"price": ("<=", 900)}) == ["black tea", "espresso", "old mug"]
    assert q({"price": (">", 1200)}) == ["latte"]
    assert q({"price": (">=", 1200)}) == ["green tea", "latte"]
    assert q({"name": ("like", "tea")}) == ["green tea", "black tea"]
    assert q({"name": ("LIKE", "TEA")}) == ["green tea", "black tea"]
    assert q({"name": ("like", "%")}) == []
    assert q({"name": ("like", "_")}) == []
    assert q({"name": ("like", "נענע")}) == ["תה נענע"]
    assert q({"id": ("in", [4001, 4003, 9999])}) == ["black tea", "latte"]
    assert q({"name": ("in", ("latte", "espresso"))}) == ["espresso", "latte"]
    assert q({"id": ("in", [])}) == []
    assert q({"price": (">=", 900), "price/2": ("<", 1300)}) == ["green tea", "espresso", "תה נענע"]
    assert q({"data": None}) == ["תה נענע"]
    assert q({"data": ("!=", None), "cat_id": 301}) == ["espresso", "latte"]


def test_where_inside_the_json_data(shop):
    def q(where):
        return names(find_in_sql({"table": "prod", "where": where, "all": 1, "sort": "id"}) or [])
    assert q({"size": ("=", "small", "data")}) == ["black tea", "espresso"]
    assert q({"rank": (">", 2, "data")}) == ["green tea", "black tea"]
    assert q({"rank": ("<=", 2, "data"), "size": ("=", "big", "data")}) == ["latte"]
    assert q({"rank": (">", 1, "data"), "rank/2": ("<", 10, "data")}) == ["green tea", "espresso"]
    assert q({"size": ("like", "ig", "data")}) == ["green tea", "latte"]
    assert q({"rank": ("in", [1, 10], "data")}) == ["black tea", "latte"]
    assert q({"milk": ("!=", "no", "data")}) == ["latte"]


def test_is_active_filters_on_the_main_table(shop):
    w = find_in_sql({"table": "prod", "fld": "cat_id", "val": 302, "is_active": 1})
    assert w is False
    assert find_in_sql({"table": "prod", "fld": "cat_id", "val": 302, "is_active": 0})["name"] == "old mug"
    assert count_in_sql({"table": "prod", "is_active": 1})[0] == 5
    assert count_in_sql({"table": "prod", "is_active": 0})[0] == 1
    assert count_in_sql({"table": "prod"})[0] == 6


def test_joins_with_aliases_and_and(shop):
    w = find_in_sql({"table": "prod p", "join": [{"jtab": "cat c", "on": "cat_id"}],
                     "what": "p.name,c.name cat", "where": {"c.name": "coffee"}, "all": 1, "sort": "p.id"})
    assert [tuple(x) for x in w] == [("espresso", "coffee"), ("latte", "coffee")]
    insert_to_sql({"table": "prod", "set": {"name": "orphan", "cat_id": 999}})
    w = find_in_sql({"table": "prod p", "ljoin": [{"jtab": "cat c", "on": "cat_id", "jon": "id"}],
                     "what": "p.name,c.name cat", "fld": "p.name", "val": "orphan"})
    assert tuple(w) == ("orphan", None)
    w = find_in_sql({"table": "prod p", "rjoin": [{"jtab": "cat c", "on": "p.cat_id", "jon": "c.id",
                                                   "And": {"p.price": (">", 1000)}}],
                     "what": "c.name,p.name pn", "all": 1, "sortj": "c.id,p.id"})
    assert [tuple(x) for x in w] == [("tea", "green tea"), ("coffee", "latte"), ("old", None)]
    w = find_in_sql({"table": "prod p", "join": {"jtab": "cat c", "on": "cat_id", "And": "c.is_active = 1"},
                     "what": "p.name", "all": 1, "sort": "p.id"})
    assert names(w) == ["green tea", "black tea", "espresso", "latte", "תה נענע"]
    w = find_in_sql({"table": "prod p", "join": [{"jtab": "cat c", "on": "cat_id", "And": "c.id = p.cat_id"}],
                     "what": "count(p.id) n", "is_active": 1})
    assert w["n"] == 5
    n = count_in_sql({"table": "prod p", "join": [{"jtab": "cat c", "on": "cat_id"}], "where": {"c.name": "tea"}})
    assert n[0] == 3 and n["count"] == 3 and tuple(n) == (3,)


def test_sort_desc_sortj_and_limit(shop):
    def q(**r):
        return names(find_in_sql({"table": "prod", "all": 1, "is_active": 1, **r}))
    assert q(sort="price") == ["black tea", "espresso", "תה נענע", "green tea", "latte"]
    assert q(sort="price", desc=1) == ["latte", "green tea", "תה נענע", "espresso", "black tea"]
    assert q(sort="cat_id,price", desc=1, limit=2) == ["latte", "espresso"]
    assert q(sort="price", limit="1,2") == ["espresso", "תה נענע"]
    assert q(sortj="price::desc", limit=1) == ["latte"]
    # data:rank sorts as text ("10" < "2") on both engines; :int sorts by number.
    assert q(sortj="data:rank", where={"rank": (">", 0, "data")}) == \
        ["latte", "black tea", "espresso", "green tea"]
    assert q(sortj="data:rank:int", where={"rank": (">", 0, "data")}) == \
        ["latte", "espresso", "green tea", "black tea"]
    assert q(sortj="data:rank:int/desc", where={"rank": (">", 0, "data")}) == \
        ["black tea", "green tea", "espresso", "latte"]
    assert q(sortj="data:size,id", where={"size": ("!=", "", "data")}) == \
        ["green tea", "latte", "black tea", "espresso"]


def test_debug_prints_the_statement_with_placeholders(shop, capsys):
    find_in_sql({"table": "prod", "fld": "name", "val": "latte", "debug": 1})
    out = capsys.readouterr().out
    assert out.startswith("<br> sql=SELECT") and "%s" in out and "latte" in out.split("params=")[1]
    assert "latte" not in out.split("params=")[0]


def test_bad_requests_raise_sqlerror(shop):
    for r in ({"table": "prod", "where": "price > (SELECT 1)"},
              {"table": "prod", "where": {"price": ("~", 1)}},
              {"table": "prod", "where": {"price": ("in", 5)}},
              {"table": "prod", "where": {"price": [1, 2]}},
              {"table": "prod", "where": {"price": (">", None)}},
              {"table": "prod", "limit": "x"},
              {"table": "prod", "limit": -1},
              {"table": "prod", "sortj": "data:rank:float"},
              {"table": "prod", "join": [{"jtab": "cat c"}]},
              {"fld": "id", "val": 1}):
        with pytest.raises(SqlError):
            find_in_sql(r)
    # what only the database can refuse answers Flyton's {"status": err}
    for r in ({"table": "nosuch"}, {"table": "prod", "fld": "nosuch", "val": 1}):
        assert isinstance(find_in_sql(r)["status"], SqlError)
        assert isinstance(count_in_sql(r)["status"], SqlError)
        with pytest.raises(SqlError):
            find_rows(r)
