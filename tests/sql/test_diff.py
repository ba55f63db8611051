"""`inphms-bin db diff [--apply]`: an existing table brought up to a changed tables.sql.

Each test runs on SQLite and on MariaDB (the ``blank`` fixture): `db init`
creates the tables from an old tables.sql, the file is then changed, and
the command is run as an operator runs it.
"""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from inphms.sql.diff import Live, compare, mysql_literal
from inphms.sql.schema import Column, parse_text

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / "inphms-bin")
ADDONS = Path(__file__).resolve().parent / "addons"

OLD = """CREATE TABLE item (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(32) NOT NULL DEFAULT '',
  qty int DEFAULT 0,
  old_flag int DEFAULT 1,
  PRIMARY KEY (id)
);
"""

# a type widened, a column added, a unique key and an index added, a column
# no longer named (it must stay), a new table
NEW = """CREATE TABLE item (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(64) NOT NULL DEFAULT '',
  qty int DEFAULT 0,
  note varchar(100) DEFAULT 'none',
  PRIMARY KEY (id),
  UNIQUE KEY one_name (name),
  KEY by_qty (qty)
);
CREATE TABLE box (id int NOT NULL AUTO_INCREMENT, label varchar(20), PRIMARY KEY (id));
"""

EXPECTED = {
    "mysql": [
        "ALTER TABLE `item` MODIFY COLUMN name varchar(64) NOT NULL DEFAULT '';",
        "ALTER TABLE `item` ADD COLUMN note varchar(100) DEFAULT 'none' AFTER `qty`;",
        "ALTER TABLE `item` ADD UNIQUE KEY `one_name` (`name`);",
        "ALTER TABLE `item` ADD INDEX `by_qty` (`qty`);",
        "CREATE TABLE IF NOT EXISTS box (id int NOT NULL AUTO_INCREMENT, label varchar(20), "
        "PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4;",
    ],
    # SQLite keeps no length: the widened varchar is TEXT before and after
    "sqlite": [
        """ALTER TABLE "item" ADD COLUMN "note" TEXT DEFAULT 'none';""",
        """CREATE UNIQUE INDEX "item__one_name" ON "item" ("name");""",
        """CREATE INDEX "item__by_qty" ON "item" ("qty");""",
        """CREATE TABLE "box" (""",
        """  "id" INTEGER PRIMARY KEY AUTOINCREMENT,""",
        """  "label" TEXT""",
        """);""",
    ],
}

# what SQLite's ALTER TABLE cannot do: change a type, add a column with a
# non-constant default
BLOCKED = """CREATE TABLE item (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(32) NOT NULL DEFAULT '',
  qty varchar(10) DEFAULT '0',
  old_flag int DEFAULT 1,
  seen timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
);
"""


def addon_conf(tmp_path, target, tables_sql):
    addon = tmp_path / "more" / "inv"
    addon.mkdir(parents=True, exist_ok=True)
    (addon / "__manifest__.py").write_text("{'name': 'inv', 'depends': ['base']}\n")
    (addon / "tables.sql").write_text(tables_sql)
    options = {**target.options, "addons_path": f"{ADDONS},{tmp_path / 'more'}", "log_level": "warning"}
    conf = tmp_path / "inphms.conf"
    conf.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
    return str(conf), addon / "tables.sql"


def run(*args):
    return subprocess.run([sys.executable, BIN, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def statements(out):
    return [line for line in out.splitlines() if not line.startswith("--")]


def columns(target, table):
    if target.engine == "mysql":
        return {r[0]: r[1] for r in target.query(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,))}
    return {r[1]: r[2] for r in target.query(f'PRAGMA table_info("{table}")')}


def test_diff_prints_the_statements_apply_runs_them_then_nothing_is_left(blank, tmp_path):
    conf, tables = addon_conf(tmp_path, blank, OLD)
    assert run("db", "init", "-c", conf).returncode == 0
    blank.query("INSERT INTO item (name, qty) VALUES (%s, %s)", ("tea", 3))
    tables.write_text(NEW)

    shown = run("db", "diff", "-c", conf)
    assert shown.returncode == 0, shown.stderr
    assert statements(shown.stdout) == EXPECTED[blank.engine]
    assert "-- note: column old_flag is in the database, not in tables.sql: left alone" in shown.stdout
    assert f"db diff: {len([s for s in EXPECTED[blank.engine] if s.endswith(';')])} statements to run" \
        in shown.stderr
    assert "note" not in columns(blank, "item") and "box" not in blank.tables()

    applied = run("db", "diff", "--apply", "-c", conf)
    assert applied.returncode == 0, applied.stderr
    assert statements(applied.stdout) == EXPECTED[blank.engine]
    cols = columns(blank, "item")
    assert "note" in cols and "old_flag" in cols and "box" in blank.tables()
    if blank.engine == "mysql":
        assert cols["name"] == "varchar(64)"
    assert list(blank.query("SELECT name, qty, note, old_flag FROM item")) == [("tea", 3, "none", 1)]
    blank.query("INSERT INTO item (name) VALUES (%s)", ("coffee",))
    with pytest.raises((sqlite3.IntegrityError, pymysql.err.IntegrityError)):
        blank.query("INSERT INTO item (name) VALUES (%s)", ("coffee",))

    again = run("db", "diff", "-c", conf)
    assert again.returncode == 0, again.stderr
    assert statements(again.stdout) == []
    assert "db diff: nothing to run on" in again.stderr


def test_a_change_sqlite_cannot_make_is_reported_not_attempted(blank, tmp_path):
    conf, tables = addon_conf(tmp_path, blank, OLD)
    assert run("db", "init", "-c", conf).returncode == 0
    blank.query("INSERT INTO item (name, qty) VALUES (%s, %s)", ("tea", 3))
    tables.write_text(BLOCKED)
    before = columns(blank, "item")

    shown = run("db", "diff", "-c", conf)
    if blank.engine == "mysql":
        # MySQL's ALTER TABLE makes both
        assert statements(shown.stdout) == [
            "ALTER TABLE `item` MODIFY COLUMN qty varchar(10) DEFAULT '0';",
            "ALTER TABLE `item` ADD COLUMN seen timestamp NULL DEFAULT CURRENT_TIMESTAMP AFTER `old_flag`;"]
        assert run("db", "diff", "--apply", "-c", conf).returncode == 0
        assert columns(blank, "item")["qty"] == "varchar(10)"
        assert statements(run("db", "diff", "-c", conf).stdout) == []
        return

    assert shown.returncode == 1
    assert statements(shown.stdout) == []
    assert ("-- not done: column qty: the type changes from INTEGER to TEXT (varchar(10) in tables.sql); "
            "SQLite's ALTER TABLE cannot change a column") in shown.stdout
    assert ("-- not done: column seen: SQLite cannot add a column with DEFAULT CURRENT_TIMESTAMP "
            "(only constant defaults)") in shown.stdout
    assert "left to you (SQLite cannot make them): 2" in shown.stderr

    applied = run("db", "diff", "--apply", "-c", conf)
    assert applied.returncode == 1 and statements(applied.stdout) == []
    assert columns(blank, "item") == before

    # the printed rebuild, run by hand, makes both changes and keeps the row
    recipe = "\n".join(line[5:] for line in shown.stdout.splitlines() if line.startswith("--   "))
    conn = blank.raw()
    try:
        conn.executescript(recipe)
    finally:
        conn.close()
    assert columns(blank, "item")["qty"] == "TEXT" and "seen" in columns(blank, "item")
    assert list(blank.query("SELECT name, qty FROM item")) == [("tea", "3")]
    again = run("db", "diff", "-c", conf)
    assert again.returncode == 0 and again.stdout == "", again.stdout


def test_a_column_without_text_of_its_own_gets_a_definition_built_from_it():
    """A column the tables.sql reader adds itself (not written in the file) can still be added on MySQL."""
    table = parse_text("CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));")[0]
    col = Column("update_at", 1)
    col.type = col.kind = "timestamp"
    col.default, col.on_update = ("now",), True
    table.columns.append(col)
    live = Live()
    live.columns, live.primary = {"id": "int(11)"}, ["id"]
    plan = compare(None, table, live, "mysql")
    assert plan.statements == [("ALTER TABLE `t` ADD COLUMN `update_at` timestamp NULL "
                                "DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP AFTER `id`", None)]
    assert mysql_literal("a\\'b") == "'a\\\\''b'"


def test_apply_goes_with_diff_only(tmp_path):
    done = run("db", "init", "--apply", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and done.stderr.strip() == "inphms-bin db: --apply goes with db diff only"
