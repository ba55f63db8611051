"""The connection pool of the process: at most ``db_maxconn`` connections.

``borrow()`` hands out an idle connection after checking it is still alive
(see each engine's ``alive``), or opens a new one while fewer than
``maxconn`` exist, or waits for one to come back (first come, first
served).  A dead connection is closed and replaced on the spot, so the
pool recovers by itself after the database server restarts.
Waiting has a deadline (``db_pool_wait``): past it ``borrow`` raises
``Unavailable``, which a request answers with 503.
``borrow(look=False)`` leaves out the look at a recently used connection's
socket, for a caller that looks later, before a statement that could not
be retried (``cursor.Lease.check``).  ``close()`` closes the idle
connections at once and every borrowed one when it comes back.
"""
import collections
import logging
import threading
import time

from .errors import SqlError, Unavailable

_logger = logging.getLogger(__name__)

BORROW_TIMEOUT = 10.0   # seconds, when the pool is not given its own (db_pool_wait)


class Waiter:
    """A thread (or greenlet) waiting for a connection: served in arrival order."""

    def __init__(self):
        self.event = threading.Event()
        self.item = None        # (connection, since), or (None, 0.0) for a free slot


class Pool:
    def __init__(self, engine, maxconn, wait=BORROW_TIMEOUT, retry_after=5, name="main"):
        self.engine = engine
        self.maxconn = max(1, int(maxconn))
        self.wait = wait or None        # 0: no deadline
        self.retry_after = retry_after
        self.name = name
        self.idle = []          # [(connection, time it came back)], last in first out
        self.count = 0          # open connections, idle and borrowed
        self.closed = False
        self.lock = threading.Lock()
        self.waiters = collections.deque()

    def __repr__(self):
        return f"Pool({self.engine.target()}, {self.count}/{self.maxconn})"

    def borrow(self, timeout=None, look=True):
        conn, since = self.reserve(timeout or self.wait)
        if conn is not None and not self.engine.alive(conn, time.monotonic() - since, look):
            _logger.info("dropping a dead connection to %s", self.engine.target())
            self.engine.close(conn)
            conn = None
        if conn is not None:
            return conn
        try:
            return self.engine.connect()
        except BaseException:
            self.forget()
            raise

    def reserve(self, timeout):
        """An idle (connection, since), or (None, 0) with a slot reserved for a new one.

        When none is free the caller queues: a connection coming back goes to
        the one that has waited longest, never to whoever asks next (under
        load, asking again at once would otherwise starve the queue's tail for
        seconds).
        """
        with self.lock:
            self.check_open()
            if not self.waiters:
                if self.idle:
                    return self.idle.pop()
                if self.count < self.maxconn:
                    self.count += 1
                    return None, 0.0
            waiter = Waiter()
            self.waiters.append(waiter)
        waiter.event.wait(timeout)
        with self.lock:
            if waiter.item is not None:
                return waiter.item
            if waiter in self.waiters:
                self.waiters.remove(waiter)
            self.check_open()
        raise Unavailable(f"no free connection to {self.engine.target()} after {timeout:g} s "
                          f"({self.name} pool of {self.maxconn})", self.retry_after)

    def check_open(self):
        if self.closed:
            raise SqlError(f"the pool of {self.engine.target()} is closed")

    def hand_over(self, item):
        """Give ``item`` to the longest waiter; False when nobody waits (lock held)."""
        if not self.waiters:
            return False
        waiter = self.waiters.popleft()
        waiter.item = item
        waiter.event.set()
        return True

    def give_back(self, conn, broken=False):
        with self.lock:
            if not broken and not self.closed:
                item = (conn, time.monotonic())
                if not self.hand_over(item):
                    self.idle.append(item)
                return
        self.engine.close(conn)
        self.forget()

    def forget(self):
        """A slot whose connection is gone (closed, or never opened): a waiter may open one."""
        with self.lock:
            if self.closed or not self.hand_over((None, 0.0)):
                self.count -= 1

    def close(self):
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
            self.count -= len(idle)
            waiters, self.waiters = self.waiters, collections.deque()
        for waiter in waiters:
            waiter.event.set()      # they find the pool closed
        for conn, _since in idle:
            self.engine.close(conn)
        return len(idle)
