"""The threaded server's request threads: a few, taking ready connections from one poller.

A thread per connection means every connection with something to say
wakes its own thread, and every one of those threads wants the GIL: each
hand-over wakes and switches threads, and the more threads want it, the
more of the CPU goes to switching.  One dashboard request cost 528 us of
CPU over one connection and 771 us over sixteen, with four of them running
at a time (wrk on loopback, 2 cores).

``RequestPool`` keeps every connection that waits for its next request (or
for the rest of its head) in one epoll set, armed for one event at a time
(``EPOLLONESHOT``: no two threads take the same connection), and ``size``
threads take the ready ones in the order they became ready (epoll's ready
list is first in, first out) and serve one request each time.  Under load a
thread goes from one ready connection to the next without sleeping, and
only these threads want the GIL.  A head is read without waiting
(``Connection.fill_now``): a client that sends it slowly waits in the
poller, not in a thread.

A housekeeping thread, every tick:

- closes the waiting connections past their time: no first request within
  ``FIRST_REQUEST_WAIT``, a head that stopped for ``READ_TIMEOUT``, a
  kept-alive connection idle for ``KEEPALIVE_IDLE``; idle kept-alive
  connections at once when the server drains, and one of them when a new
  connection waits for its slot (``INPHMS_MAX_HTTP_THREADS``);
- lends turns: a request running for ``slow`` seconds (a slow query, a call
  to another site) adds one thread until it ends, so slow requests never
  hold up quick ones for longer than that.  ``slow`` 0: never.

A connection's request body and its answer are read and written by its
thread, with the socket's kernel timeouts (``serving.set_kernel_timeouts``).
"""
import collections
import logging
import select
import socket
import threading
import time

from . import http11
from .http11 import ClientGone, HeadPending, HTTPError

_logger = logging.getLogger(__name__)

ARMED = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLONESHOT
THREAD_POLL = 1.0       # how often an idle thread looks whether it is one too many


class RequestPool:
    """``size`` request threads (more while slow requests lend) and the poller they share."""

    def __init__(self, server, size, slow=0.0):
        self.server = server
        self.size = size
        self.slow = slow
        self.poller = select.epoll()
        self.lock = threading.Lock()
        self.waiting = {}       # fd -> Connection, armed in the poller
        self.running = {}       # thread ident -> monotonic start of its request
        self.threads = 0
        self.stopped = False

    @property
    def limit(self):
        """Threads the pool may have now: size, and one more for each request running past slow."""
        if not self.slow:
            return self.size
        since = time.monotonic() - self.slow
        return self.size + sum(1 for start in self.running.values() if start <= since)

    def start(self):
        self.threads = self.size
        for _ in range(self.size):
            self.start_thread()
        threading.Thread(target=self.housekeeping, name="inphms.http.pool", daemon=True).start()

    def stop(self):
        self.stopped = True

    def start_thread(self):
        thread = threading.Thread(target=self.request_thread, name="inphms.http.request",
                                  daemon=True)
        thread.type = "http"
        thread.start()

    # -- connections in and out ---------------------------------------------
    def add(self, conn):
        """A new connection: it waits for its first request up to FIRST_REQUEST_WAIT s."""
        conn.deadline = time.monotonic() + http11.FIRST_REQUEST_WAIT
        self.wait(conn)

    def wait(self, conn):
        """Put ``conn`` back in the poller until it has bytes to read, with its deadline."""
        now = time.monotonic()
        if conn.buffer:
            if len(conn.buffer) != conn.waited_bytes:  # the head goes on arriving
                conn.waited_bytes = len(conn.buffer)
                conn.deadline = now + http11.READ_TIMEOUT
        elif conn.requests_seen:
            conn.deadline = now + http11.KEEPALIVE_IDLE
        fd = conn.sock.fileno()
        with self.lock:
            self.waiting[fd] = conn
            try:
                if conn.registered:
                    self.poller.modify(fd, ARMED)
                else:
                    self.poller.register(fd, ARMED)
                    conn.registered = True
            except (OSError, ValueError) as exc:
                _logger.warning("connection from %s: not accepted by the poller: %s",
                                conn.client, exc)
                del self.waiting[fd]
                failed = True
            else:
                failed = False
        if failed:
            self.close(conn)

    def close(self, conn):
        self.in_flight(conn, False)
        conn.close()
        self.server.connection_closed()

    def in_flight(self, conn, flight):
        """Count ``conn``'s request in flight (``server.busy``) from its first byte to its end.

        A request still arriving counts, as under a thread per connection: a
        reload for memory waits for it as for one that runs.
        """
        if flight == conn.in_flight:
            return
        conn.in_flight = flight
        if flight:
            self.server.busy_begin()
        else:
            self.server.busy_end()

    def take(self, timeout, hand):
        """Wait up to ``timeout`` s for a ready connection; it goes to the end of ``hand``."""
        try:
            events = self.poller.poll(timeout, 1)
        except InterruptedError:
            return
        for fd, _ in events:
            with self.lock:
                conn = self.waiting.pop(fd, None)
            # None: the housekeeper closed it between the event and now
            if conn is not None:
                hand.append(conn)

    # -- the request threads --------------------------------------------------
    def request_thread(self):
        me = threading.get_ident()
        threading.current_thread().name = f"inphms.http.request.{me}"
        hand = collections.deque()      # connections this thread took, served in turn
        while not self.stopped:
            if not hand:
                if self.one_too_many():
                    return
                self.take(THREAD_POLL, hand)
                continue
            try:
                self.serve(me, hand.popleft(), hand)
            except Exception:
                _logger.exception("error in a request thread")

    def one_too_many(self):
        """True (and counted out) for a thread over the limit, once a lent turn is back."""
        with self.lock:
            if self.threads > self.limit:
                self.threads -= 1
                return True
        return False

    def serve(self, me, conn, hand):
        """One request of ``conn`` if its head is whole; then the connection waits again."""
        try:
            head = conn.read_head(conn.fill_now)
        except HeadPending:
            if conn.buffer:
                self.in_flight(conn, True)
            self.wait(conn)
            return
        except HTTPError as exc:
            self.refuse(conn, exc)
            return
        except (ClientGone, OSError):
            self.close(conn)
            return
        keep = self.run_request(me, conn, head)
        if not keep:
            self.close(conn)
            return
        if conn.buffer:
            # a pipelined request: the connections already waiting go first
            self.take(0, hand)
            hand.append(conn)
            return
        self.wait(conn)

    def run_request(self, me, conn, head):
        conn.requests_seen += 1
        conn.waited_bytes = 0       # the next head's deadline starts with its first bytes
        with self.lock:
            self.running[me] = time.monotonic()
        self.in_flight(conn, True)
        try:
            return conn.handle_head(head)
        except (ClientGone, socket.timeout, ConnectionError):
            return False
        except OSError as exc:
            _logger.debug("connection from %s: %s", conn.client, exc)
            return False
        except Exception:
            _logger.exception("error while handling a connection from %s", conn.client)
            return False
        finally:
            self.in_flight(conn, False)
            with self.lock:
                del self.running[me]

    def refuse(self, conn, exc):
        try:
            conn.refuse(exc)
        except OSError:
            pass
        self.close(conn)

    # -- housekeeping ---------------------------------------------------------
    def housekeeping(self):
        tick = http11.IDLE_POLL if not self.slow else min(http11.IDLE_POLL, self.slow)
        while not self.stopped:
            time.sleep(tick)
            try:
                self.close_expired()
                if self.slow:
                    self.lend_slow_turns()
            except Exception:
                _logger.exception("error in the request pool's housekeeping")

    def close_expired(self):
        now = time.monotonic()
        server = self.server
        with self.lock:
            closing = []
            for fd, conn in self.waiting.items():
                idle = conn.requests_seen and not conn.buffer
                if now >= conn.deadline or (idle and server.draining):
                    closing.append(fd)
                elif idle and server.slot_wanted and server.give_up_slot():
                    closing.append(fd)
            conns = [self.waiting.pop(fd) for fd in closing]
        for fd, conn in zip(closing, conns):
            try:
                self.poller.unregister(fd)
            except OSError:
                pass
            self.close(conn)

    def lend_slow_turns(self):
        """Each request running longer than ``slow`` lends its turn: one more thread."""
        with self.lock:
            missing = self.limit - self.threads
            if missing > 0:
                self.threads += missing
        for _ in range(missing):
            self.start_thread()
