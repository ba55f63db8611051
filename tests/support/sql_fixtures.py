"""The in-process database fixtures, for tests/sql and every test that borrows them.

Each ``db`` test runs on SQLite and on MariaDB.

- ``mariadb`` (session, from tests/conftest.py): the private MariaDB server.
- ``blank``: inphms.config.config pointed at a new, empty database of the
  engine under test (a SQLite file in tmp_path, or a new MariaDB database).
- ``db``: ``blank`` after ``init_database`` with the base addon and the test
  addon ``shop`` (tests/sql/addons/shop: tables cat and prod).
- ``mysql_db`` / ``sqlite_db``: ``db`` on one engine only.

A test module uses them by importing them (``from tests.support.sql_fixtures
import blank, db``); tests/sql/conftest.py does so for the whole folder.
"""
from pathlib import Path

import pytest

import inphms  # noqa: F401  (installs the `tools` alias)
from inphms import sql
from inphms.config import config
from inphms.modules.module import load_addons
from tests.support import db as support_db

ADDONS = Path(__file__).resolve().parents[1] / "sql" / "addons"
ENGINES = ["sqlite", "mysql"]


def open_target(request, tmp_path, engine):
    return support_db.open_target(request, tmp_path, engine, "test", addons_path=[str(ADDONS)])


def init_tables():
    sql.init_database(config, load_addons(config))


@pytest.fixture(params=ENGINES)
def blank(request, tmp_path):
    yield from open_target(request, tmp_path, request.param)


@pytest.fixture
def db(blank):
    init_tables()
    return blank


@pytest.fixture
def mysql_db(request, tmp_path):
    """``db`` on MariaDB only, for what only a server can show (restarts, killed connections)."""
    for target in open_target(request, tmp_path, "mysql"):
        init_tables()
        yield target


@pytest.fixture
def sqlite_db(request, tmp_path):
    """``db`` on SQLite only."""
    for target in open_target(request, tmp_path, "sqlite"):
        init_tables()
        yield target
