"""insert_to_sql, the JSON data helpers, get_record, gen_data and kic_sql on both engines."""
import json
import threading

import pytest

from tools.sql import *


def test_insert_returns_the_new_id_and_stores_data(db):
    t = insert_to_sql({"table": "prod", "set": {"name": "tea", "price": 10}, "data": {"c": "red", "n": [1, 2]}})
    assert t == {"results": [], "status": True, "ver": sql_v, "id": 4000}
    w = find_in_sql({"table": "prod", "fld": "id", "val": 4000, "what": "name,price,data"})
    assert (w["name"], w["price"]) == ("tea", 10)
    assert json.loads(w["data"]) == {"c": "red", "n": [1, 2]}


def test_insert_converts_bool_and_json_values(db):
    t = insert_to_sql({"table": "users", "set": {"username": "dana", "Roles": ["admin", "owner"],
                                                 "is_active": False}})
    w = find_in_sql({"table": "users", "fld": "id", "val": t["id"], "what": "Roles,is_active"})
    assert json.loads(w["Roles"]) == ["admin", "owner"] and w["is_active"] == 0


def test_insert_with_only_defaults(db):
    t = insert_to_sql({"table": "cat", "set": {}})
    assert t["status"] == 1
    assert find_in_sql({"table": "cat", "fld": "id", "val": t["id"], "what": "is_active"})[0] == 1
    t = insert_to_sql({"table": "cat", "data": {"x": 1}})
    assert get_data("cat", t["id"]) == {"x": 1}


def test_insert_of_a_token_id_returns_the_token(db):
    token = "Ab_-" * 21
    t = insert_to_sql({"table": "ses", "set": {"id": token, "user_id": 10000}, "data": {"my_user_id": 10000}})
    assert t == {"results": [], "status": True, "ver": sql_v, "id": token}
    assert get_data("ses", token) == {"my_user_id": 10000}


def test_update_changes_only_that_row(db):
    a = insert_to_sql({"table": "prod", "set": {"name": "a"}})["id"]
    b = insert_to_sql({"table": "prod", "set": {"name": "b"}})["id"]
    assert insert_to_sql({"table": "prod", "id": a, "set": {"name": "a2", "is_active": 0}}) == {"results": [], "status": True, "ver": sql_v, "id": a}
    w = find_in_sql({"table": "prod", "what": "id,name,is_active", "all": 1, "sort": "id"})
    assert [tuple(x) for x in w] == [(a, "a2", 0), (b, "b", 1)]
    # Updating a row to the values it already has still counts as done.
    assert insert_to_sql({"table": "prod", "id": a, "set": {"name": "a2"}})["status"] == 1


def test_write_refusals_answer_status_zero(db):
    a = insert_to_sql({"table": "prod", "set": {"name": "a"}})["id"]
    for r in ({"table": "prod", "id": a, "set": {"name": "x"}, "data": {"k": 1}},
              {"table": "prod", "id": 99999, "set": {"name": "x"}},
              {"table": "prod", "id": a, "set": {}},
              {"table": "prod", "set": {"nosuch": 1}},
              {"table": "nosuch", "set": {"name": 1}},
              {"set": {"name": 1}}):
        t = insert_to_sql(r)
        assert t["status"] == 0 and t["err"], r
    assert find_in_sql({"table": "prod", "fld": "id", "val": a, "what": "name"})[0] == "a"
    assert count_in_sql({"table": "prod"})[0] == 1


def test_get_data_and_add_to_data(db):
    id = insert_to_sql({"table": "prod", "set": {"name": "a"}})["id"]
    assert get_data("prod", id) == {}
    assert get_data("prod", 99999) == {}
    assert add_to_data("prod", id, "color", "red") == {"results": [], "status": True, "ver": sql_v, "id": id}
    assert add_to_data("prod", id, {"size": 3, "tags": ["a"], "color": "blue"})["status"] == 1
    assert get_data("prod", id) == {"color": "blue", "size": 3, "tags": ["a"]}
    assert save_to_data("prod", id, "size", "!del")["status"] == 1
    assert add_to_data("prod", id, {"tags": "!del", "n": 0})["status"] == 1
    assert get_data("prod", id) == {"color": "blue", "n": 0}
    assert get_data("prod", "a", "name") == {"color": "blue", "n": 0}
    t = add_to_data("prod", 99999, "x", 1)
    assert t["status"] == 0 and "99999" in t["err"]
    assert add_to_data("nosuch", id, "x", 1)["status"] == 0


# Plain keys are merged by one UPDATE inside the database, keys a JSON path
# would have to escape by a locked read and write in Python: both must give
# the same data.
VALUES = [{"x": [1, None, {"y": "z"}]}, None, "!del?", 'qu"ote \\ back', "שלום 😀", 0, -7.25, True, [], {}]


@pytest.mark.parametrize("keys", [["color", "size-2", "n_1", "3"],
                                  ['qu"ote', "back\\slash", "a.b c", "שלום"]], ids=["plain", "escaped"])
def test_add_to_data_merges_alike_whatever_the_key(db, keys):
    id = insert_to_sql({"table": "prod", "set": {"name": "k"}, "data": {"keep": 1}})["id"]
    want = {"keep": 1}
    for n, v in enumerate(VALUES):
        kv = {keys[n % len(keys)]: v, keys[(n + 1) % len(keys)]: n}
        assert add_to_data("prod", id, kv) == {"results": [], "status": True, "ver": sql_v, "id": id}
        want.update(kv)
        assert get_data("prod", id) == want, (n, v)
    assert add_to_data("prod", id, {keys[0]: "!del", keys[1]: "!del", "keep": 2})["status"] == 1
    del want[keys[0]], want[keys[1]]
    want["keep"] = 2
    assert get_data("prod", id) == want
    assert add_to_data("prod", 99999, keys[0], 1)["status"] == 0


def test_only_plain_keys_and_json_values_take_the_one_statement_way():
    from tools.sql import in_place
    assert in_place({"a": 1, "b-2_C": "!del", "n": None}) == {"a": "1", "b-2_C": None, "n": "null"}
    for kv in ({'q"': 1}, {"a.b": 1}, {"a b": 1}, {"שלום": 1}, {"": 1}, {"a": float("nan")},
               {"a": [float("inf")]}):
        assert in_place(kv) is None, kv


def test_add_to_data_keeps_numbers_exactly(db):
    id = insert_to_sql({"table": "prod", "set": {"name": "big"}})["id"]
    v = {"big": 2 ** 70, "neg": -(2 ** 63) - 1, "f": 0.1, "e": 1e300, "l": [2 ** 64, 1 / 3]}
    assert add_to_data("prod", id, v)["status"] == 1
    assert get_data("prod", id) == v


@pytest.mark.parametrize("key", ["plain", 'not"plain'])
def test_add_to_data_on_data_that_is_no_object_starts_an_object(db, key):
    id = insert_to_sql({"table": "prod", "set": {"name": "odd"}})["id"]
    for raw in ['[1, 2]', '"text"', '3', None, "{not json"]:
        try:
            kic_sql("UPDATE prod SET data = %s WHERE id = %s", (raw, id))
        except SqlError:
            continue  # MariaDB's json column refuses text that is not JSON
        assert add_to_data("prod", id, key, raw)["status"] == 1
        assert get_data("prod", id) == {key: raw}, raw


def test_fifty_threads_adding_fifty_keys_keep_all_of_them(db):
    id = insert_to_sql({"table": "prod", "set": {"name": "hot row"}, "data": {"start": 1}})["id"]
    barrier = threading.Barrier(50)
    answers = []

    def add(n):
        barrier.wait()
        answers.append(add_to_data("prod", id, f"k{n}", n))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [a["status"] for a in answers] == [1] * 50, [a for a in answers if not a["status"]]
    assert get_data("prod", id) == {"start": 1, **{f"k{n}": n for n in range(50)}}


def test_get_record_merges_data_and_columns_win(db):
    id = insert_to_sql({"table": "prod", "set": {"name": "tea", "price": 7},
                        "data": {"color": "red", "price": 999, "id": 1}})["id"]
    rec = get_record("prod", id)
    assert rec["color"] == "red" and rec["price"] == 7 and rec["id"] == id and rec["name"] == "tea"
    assert "data" not in rec
    assert get_record("prod", "tea", "name")["color"] == "red"
    assert get_record("prod", 99999) == {}


def test_gen_data(db):
    insert_to_sql({"table": "gen", "set": {"key1": "year", "val1": "2024"}})
    r = insert_to_sql({"table": "gen", "set": {"key1": "roles", "val1": "0"},
                       "data": {"admin": "Admin", "owner": "Owner"}})
    insert_to_sql({"table": "gen", "set": {"key1": "gone", "val1": "1", "is_active": 0}})
    insert_to_sql({"table": "gen", "set": {"key1": "empty", "val1": "5"}, "data": {}})
    assert gen_data() == {"year": {"id": 1000, "val": "2024"},
                          "roles": {"id": r["id"], "val": "0", "data": {"admin": "Admin", "owner": "Owner"}},
                          "empty": {"id": 1003, "val": "5"}}


def test_gen_data_of_an_empty_table(db):
    assert gen_data() == {}


def test_kic_sql_with_parameters(db):
    t = kic_sql("INSERT INTO prod (name, price) VALUES (%s, %s)", 1, ("x", 5))
    assert t["status"] == 1 and t["row_count"] == 1 and t["id"] == 4000 and t["results"] == []
    kic_sql("INSERT INTO prod (name, price) VALUES (%s, %s)", ("y", 50))
    w = kic_sql("SELECT name, price FROM prod WHERE price > %s AND name LIKE %s", (1, "%"))
    assert [tuple(x) for x in w] == [("x", 5), ("y", 50)] and w[1]["price"] == 50
    assert kic_sql("UPDATE prod SET price = price + 1", 1)["row_count"] == 2
    assert kic_sql("UPDATE prod SET price = price + 1") == []
    assert kic_sql("SELECT id FROM prod WHERE price > %s", (1000,)) == []
    assert kic_sql("SELECT 100 % 7 AS m")[0]["m"] == 2
    assert kic_sql("SELECT 100 %% 7 AS m, %s AS v", ("a",))[0]["m"] == 2
    # Flyton's kic_sql answers a database error with {"status": err}
    w = kic_sql("SELECT 1; SELECT 2")
    assert isinstance(w["status"], SqlError)
    with pytest.raises(SqlError):
        run_sql("SELECT 1; SELECT 2")
