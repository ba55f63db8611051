"""db init on both engines: tables, first ids, automatic timestamps, refusals."""
import datetime
import os

import pytest

from inphms import errors, sql
from inphms.config import config
from inphms.modules.module import load_addons
from tools.sql import find_in_sql, insert_to_sql, kic_sql, run_sql

ALL = {"users", "ses", "gen", "logs", "cron", "ses_arc", "logs_arc", "cat", "prod"}


def test_init_creates_every_table_once(blank):
    assert blank.tables() == set()
    created = sql.init_database(config, load_addons(config))
    assert set(created) == ALL and len(created) == len(ALL)
    assert blank.tables() == ALL
    assert sql.init_database(config, load_addons(config)) == []


def test_init_creates_only_the_missing_tables(db):
    kic_sql("DROP TABLE cat")
    insert_to_sql({"table": "prod", "set": {"name": "kept"}})
    assert sql.init_database(config, load_addons(config)) == ["cat"]
    assert find_in_sql({"table": "prod", "fld": "name", "val": "kept", "what": "name"})["name"] == "kept"


def test_init_loads_no_example_rows(db):
    for table in ALL:
        assert db.query(f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table


@pytest.mark.parametrize("table,first", [("users", 10000), ("gen", 1000), ("logs", 10000),
                                         ("cron", 1000), ("cat", 300), ("prod", 4000)])
def test_ids_start_where_tables_sql_says(db, table, first):
    set1 = {"name": "job"} if table == "cron" else {}
    a = insert_to_sql({"table": table, "set": set1})
    set1 = {"name": "job2"} if table == "cron" else {}
    b = insert_to_sql({"table": table, "set": set1})
    assert (a["id"], b["id"]) == (first, first + 1)


def test_defaults_and_timestamps_are_set_on_insert(db):
    t = insert_to_sql({"table": "prod", "set": {"name": "tea"}})
    w = find_in_sql({"table": "prod", "fld": "id", "val": t["id"]})
    assert (w["note"], w["price"], w["is_active"], w["data"]) == ("it's new", 0, 1, None)
    now = datetime.datetime.utcnow()
    assert isinstance(w["created_at"], datetime.datetime)
    # Both engines keep timestamps in UTC.
    assert abs((w["created_at"] - now).total_seconds()) < 300
    assert w["updated_at"] == w["created_at"]


def test_updated_at_follows_every_update(db):
    t = insert_to_sql({"table": "users", "set": {"username": "dana"}})
    old = datetime.datetime(2020, 1, 2, 3, 4, 5)
    kic_sql("UPDATE users SET updated_at = %s WHERE id = %s", (old, t["id"]))
    assert find_in_sql({"table": "users", "fld": "id", "val": t["id"], "what": "updated_at"})[0] == old
    assert insert_to_sql({"table": "users", "id": t["id"], "set": {"FirstName": "Dana"}})["status"] == 1
    w = find_in_sql({"table": "users", "fld": "id", "val": t["id"], "what": "created_at,updated_at"})
    assert w["updated_at"] > old
    assert w["updated_at"] >= w["created_at"]


def test_an_update_that_sets_updated_at_keeps_its_value(db):
    t = insert_to_sql({"table": "prod", "set": {"name": "tea"}})
    when = datetime.datetime(2021, 5, 6, 7, 8, 9)
    insert_to_sql({"table": "prod", "id": t["id"], "set": {"name": "tea2", "updated_at": when}})
    assert find_in_sql({"table": "prod", "fld": "id", "val": t["id"], "what": "updated_at"})[0] == when


def test_unique_unsigned_and_json_are_enforced_on_both_engines(db):
    assert insert_to_sql({"table": "users", "set": {"username": "eli"}})["status"] == 1
    dup = insert_to_sql({"table": "users", "set": {"username": "eli"}})
    assert dup["status"] == 0 and "username" in dup["err"]
    assert db.query("SELECT COUNT(*) FROM users WHERE username = %s", ("eli",))[0][0] == 1
    neg = insert_to_sql({"table": "prod", "set": {"name": "x", "price": -1}})
    assert neg["status"] == 0
    with pytest.raises(sql.SqlError):
        run_sql("INSERT INTO users (username, Roles) VALUES (%s, %s)", ("noa", "not json"))
    assert find_in_sql({"table": "users", "fld": "username", "val": "noa"}) is False


def test_indexes_of_tables_sql_exist(db):
    if db.engine == "sqlite":
        names = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"prod__cat_id", "prod__price_is_active", "ses__user_id", "ses__updated_at",
                "gen__key1", "logs__act_type"} <= names
        return
    keys = {r[2] for r in db.query("SHOW INDEX FROM prod")}
    assert {"PRIMARY", "cat_id", "price"} <= keys
    assert "username" in {r[2] for r in db.query("SHOW INDEX FROM users")}


def write_addon(root, name, tables_sql):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__manifest__.py").write_text(f"{{'name': '{name}', 'depends': ['base']}}\n")
    (folder / "tables.sql").write_text(tables_sql)
    return folder


def test_a_bad_tables_sql_stops_init_before_anything_is_created(blank, tmp_path):
    good = "CREATE TABLE good1 (id int NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));\n"
    write_addon(tmp_path / "extra", "aaa", good)
    bad = write_addon(tmp_path / "extra", "zzz", "-- x\nCREATE TABLE bad1 (\n  k enum('a')\n);\n")
    config["addons_path"] = config["addons_path"] + [str(tmp_path / "extra")]
    with pytest.raises(errors.StartupError) as info:
        sql.init_database(config, load_addons(config))
    assert f"{os.path.join(str(bad), 'tables.sql')}:3:" in str(info.value)
    assert blank.tables() == set()


def test_two_addons_cannot_create_the_same_table(blank, tmp_path):
    write_addon(tmp_path / "extra", "zdup", "CREATE TABLE prod (id int);\n")
    config["addons_path"] = config["addons_path"] + [str(tmp_path / "extra")]
    with pytest.raises(errors.StartupError, match="table prod is already created by addon shop"):
        sql.init_database(config, load_addons(config))


def test_unreachable_database_is_a_startup_error_without_password(blank):
    if blank.engine == "sqlite":
        config["data_dir"] = "/proc/no-such-dir"
    else:
        config["db_port"] = 1
        config["db_host"] = "127.0.0.1"
    sql.close_all()
    with pytest.raises(errors.StartupError) as info:
        sql.init_database(config, load_addons(config))
    assert "database init: cannot" in str(info.value)
    if blank.password:
        assert blank.password not in str(info.value)
