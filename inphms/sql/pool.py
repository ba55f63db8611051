"""The connection pool of the process: at most ``db_maxconn`` connections.

``borrow()`` hands out an idle connection after checking it is still alive
(see each engine's ``alive``), or opens a new one while fewer than
``maxconn`` exist, or waits for one to come back.  A dead connection is
closed and replaced on the spot, so the pool recovers by itself after the
database server restarts.  ``close()`` closes the idle connections at once
and every borrowed one when it comes back.
"""
import logging
import threading
import time

from .errors import SqlError

_logger = logging.getLogger(__name__)

BORROW_TIMEOUT = 30.0


class Pool:
    def __init__(self, engine, maxconn):
        self.engine = engine
        self.maxconn = max(1, int(maxconn))
        self.idle = []          # [(connection, time it came back)], last in first out
        self.count = 0          # open connections, idle and borrowed
        self.closed = False
        self.cond = threading.Condition()

    def __repr__(self):
        return f"Pool({self.engine.target()}, {self.count}/{self.maxconn})"

    def borrow(self, timeout=BORROW_TIMEOUT):
        conn, since = self.reserve(timeout)
        if conn is not None and not self.engine.alive(conn, time.monotonic() - since):
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
        """An idle (connection, since), or (None, 0) with a slot reserved for a new one."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if self.closed:
                    raise SqlError(f"the pool of {self.engine.target()} is closed")
                if self.idle:
                    return self.idle.pop()
                if self.count < self.maxconn:
                    self.count += 1
                    return None, 0.0
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SqlError(f"no free connection to {self.engine.target()} "
                                   f"after {timeout:g} s (db_maxconn = {self.maxconn})")
                self.cond.wait(left)

    def give_back(self, conn, broken=False):
        with self.cond:
            if not broken and not self.closed:
                self.idle.append((conn, time.monotonic()))
                self.cond.notify()
                return
            self.count -= 1
            self.cond.notify()
        self.engine.close(conn)

    def forget(self):
        """A reserved slot whose connection could not be opened."""
        with self.cond:
            self.count -= 1
            self.cond.notify()

    def close(self):
        with self.cond:
            self.closed = True
            idle, self.idle = self.idle, []
            self.count -= len(idle)
            self.cond.notify_all()
        for conn, _since in idle:
            self.engine.close(conn)
        return len(idle)
