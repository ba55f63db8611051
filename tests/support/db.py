"""Look at a database from a test: through the sql layer, or around it; and
point this process's config at a fresh database of either engine.

``open_target`` is the one way the in-process database fixtures (tests/sql,
tests/cron, and the tests that borrow theirs) get a new SQLite file or a new
database on the private MariaDB, and give the config back afterwards.
"""
import os

from inphms import sql
from inphms.config import config
from tests.support.client import db_config


def query(config_path, text, params=()):
    """Rows of one statement (%s placeholders) on the server's database."""
    sql.configure(db_config(config_path))
    with sql.cursor() as cr:
        cr.execute(text, params)
        if cr.description is None:
            return cr.rowcount
        return cr.fetchall()


class Target:
    """The database a test runs on, and plain driver access to it, outside the pool."""

    def __init__(self, engine, options, server=None):
        self.engine = engine
        self.options = options
        self.server = server
        self.password = options.get("db_password", "")

    def raw(self):
        """A driver connection outside inphms's pool (autocommit)."""
        if self.engine == "mysql":
            return self.server.connect(self.options["db_name"])
        import sqlite3
        path = os.path.join(self.options["data_dir"], self.options["db_name"] + ".sqlite")
        return sqlite3.connect(path, isolation_level=None, timeout=60)

    def query(self, text, params=()):
        conn = self.raw()
        try:
            cur = conn.cursor()
            cur.execute(text.replace("%s", "?") if self.engine == "sqlite" else text, params)
            return cur.fetchall()
        finally:
            conn.close()

    def value(self, text, params=()):
        return self.query(text, params)[0][0]

    def tables(self):
        if self.engine == "mysql":
            return {row[0] for row in self.query("SHOW TABLES")}
        return {row[0] for row in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def point_config(options):
    """Close every pool and point inphms.config.config (and the sql layer) at ``options``."""
    sql.close_all()
    config.options.update(options)
    sql.configure(config)


def open_target(request, tmp_path, engine, db_name, make=Target, **options):
    """Generator for a fixture: the config pointed at a new, empty database of
    ``engine`` ("sqlite": a file in tmp_path/data; "mysql": a new database on the
    session's MariaDB), yielding ``make(engine, options, server)``; afterwards
    the config is as it was and the MariaDB database is dropped."""
    saved = dict(config.options)
    options = {"data_dir": str(tmp_path / "data"), "db_maxconn": 16,
               "db_engine": "sqlite", "db_name": db_name, **options}
    os.makedirs(options["data_dir"])
    server = None
    if engine == "mysql":
        server = request.getfixturevalue("mariadb")
        options.update(server.options(server.create_database()))
    point_config(options)
    try:
        yield make(engine, options, server)
    finally:
        sql.close_all()
        config.options.clear()
        config.options.update(saved)
        if server is not None:
            server.drop_database(options["db_name"])
