"""``db init``: create the tables of the loaded addons that do not exist yet.

Every addon's ``tables.sql`` is read first (a bad file stops everything
before any table is created), then each table missing from the database is
created with the engine's statements, one transaction per table on SQLite.
Existing tables are never changed.  The example rows stay commented out in
tables.sql, so a new database holds no fake users.
"""
import logging
import os

from inphms import errors

from .cursor import cursor
from .errors import SqlError
from .process import configure, get_engine
from .schema import parse_file

_logger = logging.getLogger(__name__)

TABLES_FILE = "tables.sql"


def read_tables(addons):
    """[(addon, Table)] of every loaded addon, in loading order."""
    found, owner = [], {}
    for addon in addons:
        path = addon.subpath(TABLES_FILE)
        if not os.path.isfile(path):
            continue
        for table in parse_file(path):
            if table.name in owner:
                raise SqlError(f"{path}:{table.line}: table {table.name} is already created by addon "
                               f"{owner[table.name]}")
            owner[table.name] = addon.name
            found.append((addon, table))
    return found


def create_missing(tables):
    """Create the tables that do not exist; returns their names."""
    engine = get_engine()
    created = []
    for addon, table in tables:
        with cursor(tx=engine.name == "sqlite") as cr:
            if table.name in engine.list_tables(cr):
                continue
            for sql, params in engine.create_statements(table):
                cr.execute(sql, params)
        _logger.info("created table %s (addon %s) on %s", table.name, addon.name, engine.target())
        created.append(table.name)
    return created


def init_database(config, addons):
    """Create the missing tables of ``addons`` on the configured database.

    Idempotent: a second run creates nothing.  Returns the names of the
    created tables.  A bad tables.sql or an unreachable database is an
    operator error: ``inphms.errors.StartupError`` with one line.
    """
    try:
        configure(config)
        tables = read_tables(addons)
        created = create_missing(tables)
    except SqlError as exc:
        raise errors.StartupError(f"database init: {exc}") from exc
    if created:
        _logger.info("database init: %d tables created: %s", len(created), ", ".join(created))
    else:
        _logger.info("database init: all %d tables exist", len(tables))
    return created
