"""Look at a database from a test: through the sql layer, or around it."""
import os

from inphms import sql
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
