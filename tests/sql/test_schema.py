"""tables.sql reading: the base file, the translation, and refusals with file and line."""
import re
from pathlib import Path

import pytest

from inphms.sql import TablesError
from inphms.sql.mysql_ddl import create_statements as mysql_statements
from inphms.sql.schema import parse_file, parse_text
from inphms.sql.sqlite_ddl import create_statements as sqlite_statements

BASE = Path(__file__).resolve().parents[2] / "inphms" / "addons" / "base" / "tables.sql"
CORE = ["users", "ses", "gen", "logs", "cron", "ses_arc", "logs_arc"]
COMMON = {"id", "is_active", "created_at", "updated_at", "data"}


def test_base_tables_are_the_core_tables():
    tables = {t.name: t for t in parse_file(BASE)}
    assert list(tables) == CORE
    for t in tables.values():
        assert COMMON <= {c.name for c in t.columns}, t.name
    users = {c.name: c for c in tables["users"].columns}
    assert {"username", "LastName", "FirstName", "Roles", "sis"} <= set(users)
    assert users["Roles"].kind == "json" and users["data"].kind == "json"
    assert tables["users"].uniques == [("username", ["username"])]
    assert {c.name: c.kind for c in tables["ses"].columns}["id"] == "text"
    assert {"user_id"} <= {c.name for c in tables["ses"].columns}
    assert {"key1", "val1"} <= {c.name for c in tables["gen"].columns}
    assert {"act_type", "send_text", "response"} <= {c.name for c in tables["logs"].columns}
    cron = {c.name for c in tables["cron"].columns}
    assert {"name", "every", "next_run", "last_run", "last_status", "last_error", "lease_until"} <= cron
    assert tables["cron"].uniques == [("name", ["name"])]


def test_base_ids_start_at_four_or_five_digits():
    for t in parse_file(BASE):
        if t.auto_column is not None:
            assert 1000 <= t.options["auto_increment"] <= 99999, t.name


def test_base_updated_at_is_automatic_on_live_tables():
    for t in parse_file(BASE):
        col = next(c for c in t.columns if c.name == "updated_at")
        assert col.on_update == (not t.name.endswith("_arc")), t.name


def test_base_file_documents_each_table_with_drop_and_three_examples():
    text = BASE.read_text()
    for name in CORE:
        assert re.search(rf"^-- DROP TABLE {name};$", text, re.M), name
        assert len(re.findall(rf"^-- INSERT INTO {name} ", text, re.M)) == 3, name
        assert re.search(rf"^-- {name}: \S", text, re.M), f"{name} has no description"
    assert not re.search(r"^\s*(INSERT|DROP)\b", text, re.M | re.I)


def test_sqlite_translation_of_the_subset():
    t = parse_text("""
        CREATE TABLE `prod` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          name varchar(40) NOT NULL DEFAULT 'it''s' COMMENT 'the name',
          price int unsigned DEFAULT 0,
          flag tinyint(1) DEFAULT 1,
          body text, meta json,
          ts timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
          PRIMARY KEY (`id`),
          UNIQUE KEY nm (name),
          KEY pr (price, flag),
          INDEX (flag)
        ) ENGINE=InnoDB AUTO_INCREMENT=4000 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
          COMMENT='products'
    """)[0]
    stmts = sqlite_statements(t)
    create = stmts[0][0]
    assert '"id" INTEGER PRIMARY KEY AUTOINCREMENT' in create
    assert "\"name\" TEXT NOT NULL DEFAULT 'it''s', -- the name" in create
    assert 'CHECK ("price" >= 0)' in create
    assert 'CHECK ("meta" IS NULL OR json_valid("meta"))' in create
    assert 'UNIQUE ("name")' in create
    assert create.startswith('CREATE TABLE "prod" ( -- products')
    assert ("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", ("prod", 3999)) in stmts
    rest = [s for s, _p in stmts[1:]]
    assert any(s.startswith('CREATE TRIGGER "prod__ts__on_update" AFTER UPDATE ON "prod"') for s in rest)
    assert 'CREATE INDEX "prod__pr" ON "prod" ("price", "flag")' in rest
    assert 'CREATE INDEX "prod__flag" ON "prod" ("flag")' in rest


def test_mysql_statement_is_the_authors_text_made_idempotent():
    t = parse_text("-- x\nCREATE TABLE a (\n  id int NOT NULL AUTO_INCREMENT, -- the id\n"
                   "  PRIMARY KEY (id)\n) AUTO_INCREMENT=300;\n")[0]
    [(text, params)] = mysql_statements(t)
    assert text == ("CREATE TABLE IF NOT EXISTS a (\n  id int NOT NULL AUTO_INCREMENT, -- the id\n"
                    "  PRIMARY KEY (id)\n) AUTO_INCREMENT=300 DEFAULT CHARSET=utf8mb4")
    assert params is None
    t = parse_text("CREATE TABLE IF NOT EXISTS b (id int) CHARSET=latin1")[0]
    assert mysql_statements(t)[0][0] == "CREATE TABLE IF NOT EXISTS b (id int) CHARSET=latin1"


REFUSED = [
    ("CREATE TABLE a (\n  id int,\n  kind enum('x','y')\n);", 3, "type 'enum'"),
    ("CREATE TABLE a (\n  id int,\n  price decimal(10,2)\n);", 3, "type 'decimal'"),
    ("CREATE TABLE a (\n  id int,\n  b int,\n  FOREIGN KEY (b) REFERENCES c (id)\n);", 4, "FOREIGN"),
    ("-- rows\n\nINSERT INTO users (username) VALUES ('x');", 3, "example rows must stay commented out"),
    ("\nDROP TABLE users;", 2, "DROP statements must stay commented out"),
    ("CREATE TABLE a (\n  name varchar(99),\n  KEY nm (name(10))\n);", 3, "prefix lengths"),
    ("CREATE TABLE `a b` (id int);", 1, "bad table name"),
    ("CREATE TABLE a (\n  id int,\n  b int CHECK (b > 0)\n);", 3, "'CHECK' is not in the tables.sql subset"),
    ("CREATE TABLE a (id int)\n  ROW_FORMAT=DYNAMIC;", 2, "table option 'ROW_FORMAT'"),
    ("/* dump */ CREATE TABLE a (id int);", 1, "block comments"),
    ("CREATE TABLE a (\n  id int,\n  n int DEFAULT 1 ^ 2 ?\n);", 3, "cannot read"),
    ("CREATE TABLE a (\n  id int NOT NULL AUTO_INCREMENT,\n  n int,\n  PRIMARY KEY (n)\n);", 2,
     "must be the PRIMARY KEY"),
    ("CREATE TABLE a (\n  id int,\n  g int GENERATED ALWAYS AS (id + 1)\n);", 3, "'GENERATED'"),
    ("CREATE TABLE a (id int, id text);", 1, "declared twice"),
    ("CREATE TEMPORARY TABLE a (id int);", 1, "only CREATE TABLE statements"),
    ("CREATE INDEX i ON a (id);", 1, "only CREATE TABLE statements"),
    ("CREATE TABLE a (\n  n int ON UPDATE CURRENT_TIMESTAMP\n);", 2, "ON UPDATE needs a timestamp"),
    ("CREATE TABLE a (id int);\nCREATE TABLE a (id int);", 2, "created twice"),
    ("CREATE TABLE a (id int, KEY k (nope));", 1, "no column nope"),
]


@pytest.mark.parametrize("text,line,message", REFUSED)
def test_refused_with_file_and_line(text, line, message):
    with pytest.raises(TablesError) as info:
        parse_text(text, "addons/x/tables.sql")
    assert str(info.value).startswith(f"addons/x/tables.sql:{line}: "), str(info.value)
    assert message in str(info.value)
    assert info.value.line == line


def test_comments_of_every_kind_are_skipped():
    tables = parse_text("# hash comment\n-- dash comment\n--\nCREATE TABLE a ( -- inline\n"
                        "  id int # more\n); -- DROP TABLE a;\n-- INSERT INTO a VALUES (1);\n")
    assert [t.name for t in tables] == ["a"]
