"""``cursor()``: one unit of work on a pooled connection.

    with cursor() as cr:                 # autocommit: each statement stands alone
        cr.execute("SELECT id FROM users WHERE username = %s", (name,))
        w = cr.fetchone()                # a Row, or None
    with cursor(tx=True) as cr:          # one transaction: commit on exit,
        ...                              # rollback when the block raises

Placeholders are ``%s`` on both engines.  A ``cursor()`` opened inside
another one in the same thread reuses its connection (and joins its
transaction), so helper functions can nest freely.  A read that finds its
connection lost (server restart, killed connection) outside a transaction
is retried once on a new connection; a write is not, because it may have
been applied.  A statement outside a transaction that lost a write
conflict (a Galera certification failure or a deadlock: nothing of it was
applied) is run again (``inphms.sql.retry``); a transaction that loses one
at COMMIT is rolled back and its error says so.  Every database error is
raised as ``SqlError``: a database that cannot answer now (down, frozen, a
statement past its time limit) as ``Unavailable``, and a write whose
connection was lost after it was sent (its COMMIT, or the write itself in
autocommit) as ``OutcomeUnknown``.  A read that timed out is not run again
(it would wait as long once more).  A connection whose answer may not have
been read to the end (an exception while rows were converted, MemoryError,
a request's time limit) is closed, never lent again.

The pool hands out a recently used connection without looking at its
socket; the lease looks (and replaces a dead connection) before the first
statement that could not be retried: a write, BEGIN, anything in a
transaction.  A read that would be retried anyway goes first unchecked, and
a statement that succeeds is all the check a connection needs.
"""
import logging

from . import retry
from .errors import OutcomeUnknown, SqlError, Unavailable
from .process import get_pool
from .row import make_rows
from .thread_lease import local

_logger = logging.getLogger(__name__)

READ_WORDS = ("SELECT", "SHOW", "DESC", "DESCRIBE", "EXPLAIN")


def short(query, size=500):
    text = " ".join(query.split())
    return text if len(text) <= size else text[:size] + "..."


class Lease:
    """A connection borrowed from the pool for one outermost ``cursor()``."""

    def __init__(self, pool, conn):
        self.pool = pool
        self.engine = pool.engine
        self.conn = conn
        self.checked = False    # the pool hands it out unlooked; True once known alive
        self.in_tx = False
        self.broken = False

    def check(self):
        """Before a statement that could not be retried: replace the connection if it is dead."""
        if self.checked:
            return
        self.checked = True
        if not self.engine.alive(self.conn, 0.0):
            _logger.info("dropping a dead connection to %s", self.engine.target())
            self.reconnect()

    def reconnect(self):
        self.engine.close(self.conn)
        self.broken = True
        self.conn = self.engine.connect()
        self.broken = False
        self.checked = True     # just opened

    def fail(self, query, exc, write=False):
        """Turn a driver error into SqlError, marking a lost connection broken.

        A database that cannot answer now gives ``Unavailable`` (not logged
        here: whoever answers the request logs it once); a write whose
        connection was lost after it was sent (``write``: a COMMIT, or a
        write in autocommit) gives ``OutcomeUnknown``: it may have been applied.
        """
        engine = self.engine
        lost = engine.is_lost(exc)
        if lost:
            self.broken = True
        message = f"{engine.name}: {engine.message(exc)} [statement: {short(query)}]"
        retry_after = self.pool.retry_after
        if write and lost:
            return OutcomeUnknown(f"{message}: the outcome is unknown, the write may have been "
                                  "applied", retry_after)
        if engine.unavailable(exc):
            return Unavailable(message, retry_after)
        _logger.warning("sql error: %s", message)
        return SqlError(message)


class Cursor:
    """A DB-API cursor whose rows are Row objects and whose errors are SqlError."""

    def __init__(self, lease):
        self.lease = lease
        self.engine = lease.engine
        self.conn = lease.conn
        self.raw = lease.conn.cursor()

    def follow(self):
        """A nested cursor may have replaced the lease's connection: use the new one."""
        if self.conn is not self.lease.conn:
            self.conn = self.lease.conn
            self.raw = self.conn.cursor()

    def execute(self, query, params=None):
        lease = self.lease
        if not lease.checked and not self.rerunnable(query):
            lease.check()
        self.follow()
        try:
            self.run(query, params)
            lease.checked = True
        except self.engine.errors as exc:
            if not lease.in_tx and retry.is_conflict(exc):
                # a statement standing alone was rolled back whole: run it again
                self.run_after_conflict(query, params)
                lease.checked = True
                return self
            if not self.retriable(query, exc):
                raise self.lease.fail(query, exc, self.autocommit_write(query)) from exc
            _logger.info("connection to %s lost, retrying a read once", self.engine.target())
            self.close()
            self.lease.reconnect()
            self.follow()
            try:
                self.run(query, params)
            except self.engine.errors as exc2:
                raise self.lease.fail(query, exc2) from exc2
            except BaseException:
                lease.broken = True
                raise
        except (TypeError, ValueError) as exc:
            # a parameter the driver cannot send, or a value it could not
            # convert halfway through an answer: the connection is not trusted again
            lease.broken = True
            raise self.lease.fail(query, exc) from exc
        except BaseException:
            # MemoryError, a timeout of the request...: the answer may be half read
            lease.broken = True
            raise
        return self

    def run_after_conflict(self, query, params):
        _logger.info("write conflict on %s (attempt 1 of %d): running it again",
                     short(query, 80), retry.ATTEMPTS)
        try:
            retry.attempts(lambda: self.run(query, params), short(query, 80), self.engine.errors,
                           tried=1)
        except self.engine.errors as exc:
            raise self.lease.fail(query, exc) from exc

    def autocommit_write(self, query):
        """True for a statement that commits by itself (a write outside a transaction)."""
        return not self.lease.in_tx and not self.rerunnable(query)

    def run(self, query, params):
        sql = self.engine.prepare(query, params)
        if params is None:
            self.raw.execute(sql)
            return
        self.raw.execute(sql, params)

    def executemany(self, query, seq):
        self.lease.check()
        self.follow()
        try:
            self.raw.executemany(self.engine.prepare(query, ()), seq)
        except self.engine.errors as exc:
            raise self.lease.fail(query, exc, self.autocommit_write(query)) from exc
        except (TypeError, ValueError) as exc:
            self.lease.broken = True
            raise self.lease.fail(query, exc) from exc
        except BaseException:
            self.lease.broken = True
            raise
        return self

    def retriable(self, query, exc):
        """A read whose connection was lost, not timed out: one that timed out
        would wait as long again on a new connection."""
        return self.engine.is_lost(exc) and self.rerunnable(query) and not self.engine.timed_out(exc)

    def rerunnable(self, query):
        """A read outside a transaction: run again on a new connection if its connection is lost."""
        if self.lease.in_tx:
            return False
        words = query.lstrip().split(None, 1)
        return bool(words) and words[0].upper() in READ_WORDS

    @property
    def description(self):
        return self.raw.description

    @property
    def columns(self):
        return [col[0] for col in self.raw.description or ()]

    @property
    def rowcount(self):
        return self.raw.rowcount

    @property
    def lastrowid(self):
        return self.raw.lastrowid

    def fetchone(self):
        rec = self.fetch(lambda: self.raw.fetchone())
        if rec is None:
            return None
        return make_rows(self.raw.description, [rec])[0]

    def fetchmany(self, size):
        return make_rows(self.raw.description, self.fetch(lambda: self.raw.fetchmany(size)))

    def fetchall(self):
        if self.raw.description is None:
            return []
        return make_rows(self.raw.description, self.fetch(lambda: self.raw.fetchall()))

    def fetch(self, how):
        try:
            return how()
        except self.engine.errors as exc:
            raise self.lease.fail("(fetch)", exc) from exc
        except BaseException:
            self.lease.broken = True    # an unbuffered answer may be half read
            raise

    def close(self):
        try:
            self.raw.close()
        except self.engine.errors:
            pass


class Scope:
    """The context manager behind ``cursor()`` (a class: it runs on every query)."""

    def __init__(self, tx, pool="main"):
        self.tx = tx
        self.pool = pool
        self.lease = self.cr = None
        self.outer = self.began = False

    def __enter__(self):
        lease = getattr(local, "lease", None)
        if lease is None:
            pool = get_pool(self.pool)
            lease = Lease(pool, pool.borrow(look=False))
            local.lease = lease
            self.outer = True
        self.lease = lease
        try:
            if self.tx and not lease.in_tx:
                begin(lease)
                self.began = True
            self.cr = Cursor(lease)
        except BaseException:
            self.release()
            raise
        return self.cr

    def __exit__(self, kind, exc, tb):
        try:
            self.cr.close()
            if self.began:
                self.lease.in_tx = False
                if kind is None:
                    commit(self.lease)
                else:
                    rollback(self.lease)
        finally:
            self.release()
        return False

    def release(self):
        if not self.outer:
            return
        lease = self.lease
        local.lease = None
        if not lease.broken:
            lease.broken = not tidy(lease)
        lease.pool.give_back(lease.conn, lease.broken)


def cursor(tx=False, pool="main"):
    """A Cursor on this thread's connection, borrowed from the pool when it has none.

    ``pool="ses"``: from the small pool kept for session lookups (inphms.auth.sessions).
    """
    return Scope(tx, pool)


def tidy(lease):
    """End a transaction a raw statement left open; False when that fails."""
    try:
        lease.engine.tidy(lease.conn)
        return True
    except lease.engine.errors:
        return False


def begin(lease):
    lease.check()
    try:
        lease.engine.begin(lease.conn)
    except lease.engine.errors as exc:
        raise lease.fail("BEGIN", exc) from exc
    lease.in_tx = True


def commit(lease):
    try:
        lease.engine.commit(lease.conn)
    except lease.engine.errors as exc:
        rollback(lease)
        if retry.is_conflict(exc):
            raise SqlError(f"{lease.engine.name}: {retry.CONFLICT_HINT} [statement: COMMIT]") from exc
        raise lease.fail("COMMIT", exc, write=True) from exc
    except BaseException:
        lease.broken = True
        raise


def rollback(lease):
    try:
        lease.engine.rollback(lease.conn)
    except lease.engine.errors:
        lease.broken = True
