"""The database layer: one connection pool per process, two engines.

Public API (used by the server, the CLI and ``tools.sql``):

- ``cursor(tx=False)``: context manager giving a Cursor on a pooled
  connection (see inphms.sql.cursor); ``%s`` placeholders on both engines.
- ``init_database(config, addons)``: create the missing tables of the loaded
  addons (``db init``, and at start-up).
- ``close_all()``: close the pool (graceful exit, re-exec on SIGHUP); the
  next ``cursor()`` builds a new one.
- ``configure(config)``, ``get_engine()``, ``get_pool()``.
- ``SqlError``: every database error; ``Unavailable`` (a ``SqlError``):
  the database is down, frozen, too slow or out of connections, try again
  later; ``OutcomeUnknown`` (an ``Unavailable``): a write whose commit was
  not confirmed; ``Row``: a result row.

Modules: engine (settings, engine choice), engine_mysql, engine_sqlite,
pool, process (the pool of this process), cursor, row, schema (tables.sql
reader), sqlite_ddl / mysql_ddl (tables.sql to statements), init (db init),
diff (``db diff``: existing tables against tables.sql), build (query
building for tools.sql), shell (``db sql``), retry (writes that lost a
Galera certification conflict, run again where safe).
"""
from .cursor import cursor
from .errors import OutcomeUnknown, SqlError, TablesError, Unavailable, unavailable_in
from .init import init_database
from .process import close_all, configure, get_engine, get_pool
from .row import Row

__all__ = ["cursor", "init_database", "close_all", "configure", "get_engine", "get_pool",
           "SqlError", "TablesError", "Unavailable", "OutcomeUnknown", "unavailable_in", "Row"]
