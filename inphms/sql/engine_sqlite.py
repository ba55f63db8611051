"""The embedded SQLite engine: a file ``<data_dir>/<db_name>.sqlite``.

Connections use WAL (readers never block the writer), a busy timeout of
``db_statement_timeout`` seconds (a writer waits that long for the lock
instead of failing at once with "database is locked"; past it the database
is ``unavailable``) and autocommit; ``cursor(tx=True)`` opens ``BEGIN IMMEDIATE`` so a transaction
takes the write lock up front and can never deadlock on a lock upgrade.
Statements use PyMySQL's ``%s`` placeholders; they are turned into ``?``.

``timestamp``/``datetime``/``date`` columns come back as ``datetime``/``date``
objects, as from MySQL: the converters are registered process-wide on the
``sqlite3`` module for the declared types TIMESTAMP, DATETIME and DATE.
"""
import datetime
import decimal
import functools
import json
import os
import re
import sqlite3

from . import sqlite_ddl
from .errors import SqlError

NO_LIMIT = 86400        # busy timeout, seconds, when db_statement_timeout is 0
PLACEHOLDER_RE = re.compile(r"%s|%%")


def to_datetime(raw):
    text = raw.decode()
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return text


def to_date(raw):
    text = raw.decode()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return text


def from_datetime(value):
    # CURRENT_TIMESTAMP is 'YYYY-MM-DD HH:MM:SS' (UTC): compare as equals.
    return value.isoformat(" ")


sqlite3.register_converter("TIMESTAMP", to_datetime)
sqlite3.register_converter("DATETIME", to_datetime)
sqlite3.register_converter("DATE", to_date)
sqlite3.register_adapter(datetime.datetime, from_datetime)
sqlite3.register_adapter(datetime.date, lambda value: value.isoformat())
# a Decimal read from MySQL (or computed) is written as its exact text
sqlite3.register_adapter(decimal.Decimal, str)


@functools.lru_cache(maxsize=1024)
def qmark(query):
    return PLACEHOLDER_RE.sub(lambda m: "?" if m.group(0) == "%s" else "%", query)


class SqliteEngine:
    name = "sqlite"
    errors = (sqlite3.Error,)
    for_update = ""

    def __init__(self, values):
        self.values = values
        self.path = os.path.join(values["data_dir"], values["db_name"] + ".sqlite")

    def target(self):
        return f"sqlite {self.path}"

    # connections
    def connect(self):
        busy = self.values.get("db_statement_timeout") or NO_LIMIT
        try:
            os.makedirs(self.values["data_dir"], exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=busy, isolation_level=None,
                                   check_same_thread=False, detect_types=sqlite3.PARSE_DECLTYPES)
            conn.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise SqlError(f"cannot open {self.target()}: {exc}") from exc
        return conn

    def alive(self, conn, idle, look=True):
        try:
            conn.in_transaction
        except sqlite3.Error:
            return False
        return True

    def close(self, conn):
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def message(self, exc):
        return str(exc)

    def unavailable(self, exc):
        """True when the busy timeout ran out: another connection held the lock all along."""
        return isinstance(exc, sqlite3.OperationalError) and \
            ("database is locked" in str(exc) or "database is busy" in str(exc))

    def timed_out(self, exc):
        return self.unavailable(exc)

    def is_lost(self, exc):
        return False

    # transactions
    def begin(self, conn):
        conn.execute("BEGIN IMMEDIATE")

    def commit(self, conn):
        if conn.in_transaction:
            conn.execute("COMMIT")

    def rollback(self, conn):
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def tidy(self, conn):
        self.rollback(conn)

    # dialect
    def prepare(self, query, params):
        if params is None:
            return query
        return qmark(query)

    def quote(self, name):
        # Backticks, not double quotes: SQLite takes an unknown "name" for a
        # string literal, but an unknown `name` is an error, as in MySQL.
        return f"`{name}`"

    def seconds_since(self, col):
        """SQL giving the whole seconds from the time in ``col`` to now (UTC, like CURRENT_TIMESTAMP)."""
        return f"CAST(ROUND((julianday('now') - julianday({col})) * 86400) AS INTEGER)"

    def json_text(self, col):
        # json_array() keeps the JSON subtype of json_extract(): objects and
        # arrays stay JSON, strings are quoted, so the text decodes like MySQL's.
        return f"json_array(json_extract({col}, %s))"

    # a JSON document as a parameter, taken as JSON (not a string) by json_set
    json_param = "json(%s)"

    def json_object(self, col):
        """SQL giving ``col`` when it holds a JSON object, else an empty object."""
        # nested CASE: json_type() raises on text that is not JSON
        return (f"CASE WHEN json_valid({col}) THEN CASE WHEN json_type({col}) = 'object' "
                f"THEN {col} ELSE '{{}}' END ELSE '{{}}' END")

    def json_decode(self, value):
        if value is None:
            return None
        return json.loads(value)[0]

    def json_scalar(self, col, kind):
        # MySQL compares the unquoted text with a number as a number and with
        # a string as a string; cast the same way.
        if kind == "num":
            return f"CAST(json_extract({col}, %s) AS NUMERIC)"
        if kind == "text":
            return f"CAST(json_extract({col}, %s) AS TEXT)"
        return f"json_extract({col}, %s)"

    def cast_int(self, expr):
        return f"CAST({expr} AS INTEGER)"

    def insert_defaults(self, table):
        return f"INSERT INTO {table} DEFAULT VALUES"

    def list_tables(self, cr):
        cr.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {row[0] for row in cr.fetchall()}

    def create_statements(self, table):
        return sqlite_ddl.create_statements(table)
