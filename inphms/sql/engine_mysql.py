"""The MySQL/MariaDB engine (PyMySQL): connect, health check, dialect.

Connections run in autocommit mode (a transaction is opened explicitly by
``cursor(tx=True)``), speak utf8mb4, use UTC for ``CURRENT_TIMESTAMP`` and
count matched rather than changed rows, as SQLite does.  DECIMAL values
come back as ``decimal.Decimal`` with every digit.  Every wait is bounded:
connect, read and write timeouts on the socket and ``max_statement_time``
on the server (the ``db_*_timeout`` options); ``unavailable(exc)`` tells
those failures from a wrong statement.  The password goes
to PyMySQL only; it is never part of a message.
"""
import functools
import json
import re
import select
import time

import pymysql
import pymysql.connections
import pymysql.converters
from pymysql.constants import CLIENT, SERVER_STATUS

from ..patch_gevent import original
from . import mysql_ddl
from .answer_wait import AnswerWait, loopback, on_this_machine
from .errors import SqlError, Unavailable
from .mysql_answer import PacketResult

# Errors after which a connection is gone: gone away, lost, killed, shutting down.
LOST_CODES = {2006, 2013, 2055, 1053, 1927, 4031}
# Errors of a database that cannot answer now, the statement not run: too many
# connections, max_statement_time exceeded, lock wait timeout; 1047, a Galera
# node without quorum ("WSREP has not yet prepared node"), which serves nothing
# until it is back in the primary component (the connection stays good).
BUSY_CODES = {1040, 1969, 1205, 3024, 1047}
# An idle connection older than this is pinged on borrow; younger ones are
# only checked for a closed socket, which costs no round trip.
PING_AFTER = 30.0
# A syntax error quotes the statement with its values filled in: keep them out.
NEAR_RE = re.compile(r"near '.*' at line", re.S)


def init_command(statement_timeout):
    """The first statement of every connection: UTC, and the statement time limit.

    ``max_statement_time`` is MariaDB's; written in MariaDB's executable
    comment, which MySQL reads as a plain comment.
    """
    command = "SET time_zone = '+00:00'"
    if statement_timeout:
        command += f" /*M!100108 , max_statement_time = {float(statement_timeout):g} */"
    return command


def causes(exc):
    """``exc`` and the exceptions it was raised from or while handling."""
    seen = []
    while exc is not None and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def readable(sock, wait=0.0):
    """True when ``sock`` has data or EOF waiting, within ``wait`` s; never yields to gevent's hub.

    It runs on every borrow from the pool: under ``--evented`` gevent's own
    ``poll`` made it about a sixth of an API request's CPU time.
    """
    poll = system_call("poll")
    if poll is not None:
        poller = poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(wait * 1000))
    return bool(system_call("select")([sock], [], [], wait)[0])


@functools.cache
def system_call(name):
    """select's ``poll`` or ``select`` as the system gives it (None when it has none)."""
    return original("select", name)


class MysqlConnection(pymysql.connections.Connection):
    """PyMySQL's connection, which may wait for an answer in the kernel before PyMySQL reads it.

    An evented prefork worker waits up to ``answer_wait.seconds`` without
    yielding to gevent's hub, then the gevent way, so slow statements still
    overlap; ``inphms.sql.answer_wait`` says why, and decides when: only for
    a database on this machine, and only while its answers come quickly.
    ``answer_wait`` is None (never wait) unless ``wait_for_answers`` sets it.
    Both ways PyMySQL waits for an answer go through here: a statement's
    result, and the OK of BEGIN, COMMIT and ROLLBACK.

    A buffered result is read by ``mysql_answer.PacketResult`` instead of
    PyMySQL's own reader, which costs less CPU for the small results a
    page reads (docs/performance.md has the figures); ``mysql_answer``
    says how.
    """
    answer_wait = None      # the process's AnswerWait, if it waits
    database_nearby = False

    def connect(self, sock=None):
        self.shapes = {}    # column descriptions seen on this connection, parsed
        super().connect(sock)
        self.database_nearby = on_this_machine(self._sock)

    def _read_query_result(self, unbuffered=False):
        self.await_answer()
        if unbuffered:
            return super()._read_query_result(unbuffered)
        # as PyMySQL's own, with its reader swapped for ours
        self._result = None
        result = PacketResult(self)
        result.read()
        self._result = result
        if result.server_status is not None:
            self.server_status = result.server_status
        return result.affected_rows

    def _read_ok_packet(self):
        self.await_answer()
        return super()._read_ok_packet()

    def await_answer(self):
        wait = self.answer_wait
        if wait is None or not self.database_nearby or self._sock is None:
            return
        if not wait.worth_waiting():
            return
        started = time.monotonic()
        readable(self._sock, wait.seconds)
        wait.add(time.monotonic() - started)


def wait_for_answers(seconds):
    """This process's connections may wait up to ``seconds`` for each answer before yielding."""
    MysqlConnection.answer_wait = AnswerWait(seconds) if seconds else None


# PyMySQL's own: DECIMAL (and SUM()/AVG(), which MySQL gives as DECIMAL)
# come back as decimal.Decimal, exact, as Flyton's driver gave them
CONVERSIONS = dict(pymysql.converters.conversions)


class MysqlEngine:
    name = "mysql"
    errors = (pymysql.err.Error,)
    for_update = " FOR UPDATE"

    def __init__(self, values):
        self.values = values

    def target(self):
        v = self.values
        where = v["db_host"] if v["db_host"].startswith("/") else f"{v['db_host']}:{v['db_port']}"
        return f"mysql {v['db_user']}@{where}/{v['db_name']}"

    # connections
    def connect(self):
        v = self.values
        params = dict(user=v["db_user"], password=v["db_password"], database=v["db_name"],
                      charset="utf8mb4", autocommit=True, client_flag=CLIENT.FOUND_ROWS,
                      conv=CONVERSIONS, init_command=init_command(v["db_statement_timeout"]),
                      connect_timeout=v["db_connect_timeout"] or None,
                      read_timeout=v["db_read_timeout"] or None,
                      write_timeout=v["db_write_timeout"] or None)
        if v["db_host"].startswith("/"):
            params["unix_socket"] = v["db_host"]
        else:
            params["host"] = v["db_host"]
            params["port"] = int(v["db_port"])
        if v["db_host"].startswith("/") or v["db_host"] == "localhost" or loopback(v["db_host"]):
            # PyMySQL would build a TLS context for every new connection to
            # try TLS, at a cost in CPU; on this machine's own socket it protects nothing
            params["ssl_disabled"] = True
        try:
            return MysqlConnection(**params)
        except pymysql.err.OperationalError as exc:
            # refused, timed out, lost in the handshake, too many connections
            raise Unavailable(f"cannot connect to {self.target()}: {exc}",
                              v["db_retry_after"]) from None
        except pymysql.err.Error as exc:
            raise SqlError(f"cannot connect to {self.target()}: {exc}") from exc

    def alive(self, conn, idle, look=True):
        """True when ``conn`` can be used; a closed or readable socket means it cannot.

        ``look=False``: a connection idle for less than PING_AFTER is taken
        as alive without the look at its socket (a system call, which a
        threaded server pays as a hand-over of the interpreter lock).
        """
        sock = getattr(conn, "_sock", None)
        if sock is None:
            return False
        if not look and idle <= PING_AFTER:
            return True
        try:
            if readable(sock):
                # An idle connection has nothing to read: the server closed it
                # (restart, wait_timeout, KILL) or sent its last error.
                return False
            if idle > PING_AFTER:
                conn.ping(reconnect=False)
        except (OSError, ValueError, pymysql.err.Error):
            return False
        return True

    def close(self, conn):
        try:
            conn.close()
        except Exception:
            # Closing a dead socket may fail; the connection is dropped either way.
            pass

    def message(self, exc):
        """The driver's message, without the values a syntax error echoes."""
        return NEAR_RE.sub("near (the statement below) at line", str(exc))

    def unavailable(self, exc):
        """True when ``exc`` says the database cannot answer now, rather than that the statement is wrong.

        The connection lost or timed out, a statement stopped by
        ``max_statement_time``, the server shutting down or out of connections.
        """
        if self.is_lost(exc):
            return True
        return isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and \
            exc.args[0] in BUSY_CODES

    def timed_out(self, exc):
        """True when ``exc`` comes from a socket timeout (the answer did not come in time)."""
        return any(isinstance(e, TimeoutError) for e in causes(exc)) or "timed out" in str(exc)

    def is_lost(self, exc):
        if isinstance(exc, pymysql.err.InterfaceError):
            return True
        return isinstance(exc, pymysql.err.OperationalError) and exc.args and exc.args[0] in LOST_CODES

    # transactions
    def begin(self, conn):
        conn.begin()

    def commit(self, conn):
        conn.commit()

    def rollback(self, conn):
        conn.rollback()

    def tidy(self, conn):
        if conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
            conn.rollback()

    # dialect
    def prepare(self, query, params):
        return query

    def quote(self, name):
        return f"`{name}`"

    def seconds_since(self, col):
        """SQL giving the whole seconds from the time in ``col`` to now, by the server's clock."""
        return f"TIMESTAMPDIFF(SECOND, {col}, CURRENT_TIMESTAMP)"

    def json_text(self, col):
        """SQL giving the JSON text of a key of ``col``; one placeholder for the path."""
        return f"JSON_EXTRACT({col}, %s)"

    # a JSON document as a parameter, taken as JSON (not a string) by JSON_SET
    json_param = "JSON_EXTRACT(%s, '$')"

    def json_object(self, col):
        """SQL giving ``col`` when it holds a JSON object, else an empty object."""
        return f"IF(JSON_TYPE({col}) = 'OBJECT', {col}, '{{}}')"

    def json_decode(self, value):
        if value is None:
            return None
        return json.loads(value)

    def json_scalar(self, col, kind):
        """A key of ``col`` as a value to compare with a ``kind`` ('num'/'text') value."""
        return f"JSON_UNQUOTE(JSON_EXTRACT({col}, %s))"

    def cast_int(self, expr):
        return f"CAST({expr} AS SIGNED)"

    def insert_defaults(self, table):
        return f"INSERT INTO {table} () VALUES ()"

    def list_tables(self, cr):
        cr.execute("SHOW TABLES")
        return {row[0] for row in cr.fetchall()}

    def create_statements(self, table):
        return mysql_ddl.create_statements(table)
