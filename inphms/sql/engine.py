"""Which engine a configuration names, and the settings a pool is built from.

``settings(config)`` copies the ``db_*`` options out of the process config
into a plain dict, so a pool keeps the values it was built with even when the
config object changes later.  ``make_engine(settings)`` returns the engine
object for ``db_engine`` (see engine_mysql and engine_sqlite).
"""
import re

from inphms.config import OPTIONS_BY_NAME

from .errors import SqlError

KEYS = ("db_engine", "db_host", "db_port", "db_user", "db_password", "db_name",
        "db_maxconn", "db_session_conns", "db_connect_timeout", "db_read_timeout",
        "db_write_timeout", "db_statement_timeout", "db_pool_wait", "db_retry_after", "data_dir")
DB_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def settings(config):
    """The database settings of ``config`` (a mapping) as a plain dict."""
    values = {key: config.get(key, OPTIONS_BY_NAME[key].default) for key in KEYS}
    if not DB_NAME_RE.fullmatch(str(values["db_name"] or "")):
        raise SqlError(f"db_name {values['db_name']!r} is not a valid database name")
    return values


def make_engine(values):
    if values["db_engine"] == "mysql":
        # lazy: only the configured engine's driver is loaded
        from .engine_mysql import MysqlEngine
        return MysqlEngine(values)
    if values["db_engine"] == "sqlite":
        from .engine_sqlite import SqliteEngine  # lazy: as above
        return SqliteEngine(values)
    raise SqlError(f"db_engine {values['db_engine']!r} is not one of sqlite, mysql")
