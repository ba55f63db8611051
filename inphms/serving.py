"""The HTTP server: the listening socket, a thread per connection, requests in flight.

``ThreadedWSGIServerReloadable`` accepts connections on one listening socket
(bound here, handed over by systemd or by our own previous image through
``LISTEN_FDS``, or shared with the other prefork workers) and gives each to
a connection thread (``inphms.http11.Connection`` speaks the protocol), up
to ``INPHMS_MAX_HTTP_THREADS`` connections at once.  Threads are kept for
the next connections.  ``TurnGate`` lets ``max_http_requests`` requests run
at once, the others in arrival order, and a request running longer than
``slow_request_ms`` lend its turn.  The server counts requests in flight
so a graceful stop can wait for them, and it has a drain mode in which
kept-alive connections are closed instead of reused.  Under ``--evented``
gevent's patching turns the same threads and sockets into greenlets and
cooperative sockets.
"""
import collections
import logging
import os
import queue
import selectors
import socket
import struct
import threading
import time

from .errors import StartupError
from .http11 import IDLE_POLL, READ_TIMEOUT, Connection
from .patch_gevent import patched

_logger = logging.getLogger(__name__)

SD_LISTEN_FDS_START = 3
LISTEN_QUEUE = 128
ACCEPT_POLL = 0.5          # how often the accept loop looks at the stop flag
ACCEPT_BATCH = 64          # connections accepted in one go, at most
THREAD_IDLE = 60.0         # seconds a connection thread waits for a next connection


def systemd_socket_fd():
    """The fd of a socket handed to this process (systemd or a phoenix), or None."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    if int(os.environ.get("LISTEN_FDS", "0") or 0) < 1:
        return None
    return SD_LISTEN_FDS_START


def set_kernel_timeouts(sock):
    """A blocking socket whose reads give up every IDLE_POLL s and writes after READ_TIMEOUT s.

    A Python socket timeout polls before every recv() and send(): two system
    calls, each letting go of the GIL, and with many busy threads every
    letting go is a chance of a thread switch.  A blocking socket with the
    kernel's timeouts does each in one call; a read that gives up (a tick)
    lets an idle connection look at the drain flag.
    """
    sock.settimeout(None)
    for option, seconds in ((socket.SO_RCVTIMEO, IDLE_POLL), (socket.SO_SNDTIMEO, READ_TIMEOUT)):
        whole = int(seconds)
        sock.setsockopt(socket.SOL_SOCKET, option,
                        struct.pack("ll", whole, int((seconds - whole) * 1_000_000)))


def open_listen_socket(host, port):
    """The socket handed to this process (systemd, phoenix), or a new one bound to host:port."""
    fd = systemd_socket_fd()
    if fd is not None:
        for key in ("LISTEN_FDS", "LISTEN_PID"):
            os.environ.pop(key, None)
        sock = socket.socket(fileno=fd)
        sock.set_inheritable(False)
        _logger.info("using the listening socket handed to this process (%s:%s)",
                     *sock.getsockname()[:2])
        return sock
    try:
        return socket.create_server((host, port), backlog=LISTEN_QUEUE)
    except OSError as exc:
        raise StartupError(f"Port {port} is in use by another program, or cannot be "
                           f"bound: {exc.strerror}") from None


class TurnGate:
    """At most ``size`` requests run at once; the others go in arrival order.

    With a thread per connection, every busy connection is a thread taking
    turns on the GIL in no particular order, and each hand-over of the GIL
    wakes and switches threads: the more threads want it, the more of the
    CPU goes to switching (at 16 connections a static file cost about 17
    futex calls a request, against none for one connection) and the longer
    the unlucky requests wait (the p99).  A few requests at a time, first
    come first served, keeps both down; a leaving request hands its turn
    straight to the longest waiter, so a newcomer cannot jump the queue.

    A request that keeps its turn longer than ``slow`` seconds (a slow
    query, a call to another site) lends it: the longest waiter runs beside
    it, and the turn is taken back when the slow request ends.  So a few
    slow requests never stall the fast ones for longer than ``slow``, while
    many fast ones under heavy load still queue.  ``slow`` 0: turns are
    never lent.
    """

    def __init__(self, size, slow=0.0):
        self.size = size
        self.slow = slow
        self.lock = threading.Lock()
        self.waiters = collections.deque()
        self.running = {}           # turn -> [monotonic start, lent]

    @property
    def limit(self):
        """Requests that may run now: size, and one more for each running request that lent."""
        return self.size + sum(1 for _, lent in self.running.values() if lent)

    def enter(self):
        """Wait for a turn; the turn to give back to ``leave``."""
        turn = threading.Lock()
        turn.acquire()
        with self.lock:
            if len(self.running) < self.limit and not self.waiters:
                self.running[turn] = [time.monotonic(), False]
                return turn
            self.waiters.append(turn)
        # released by the leave() or the lending that hands this request its turn
        if not self.slow:
            turn.acquire()
            return turn
        while not turn.acquire(timeout=self.slow):
            self.lend_slow_turns()
        return turn

    def leave(self, turn):
        with self.lock:
            del self.running[turn]      # a lent turn goes with it: the limit is one less
            self.admit()

    def lend_slow_turns(self):
        """A waiter's check: each request running longer than ``slow`` lends its turn once."""
        with self.lock:
            now = time.monotonic()
            for state in self.running.values():
                if now - state[0] >= self.slow:
                    state[1] = True
            self.admit()

    def admit(self):
        """Hand the free turns to the longest waiters (under self.lock)."""
        while self.waiters and len(self.running) < self.limit:
            turn = self.waiters.popleft()
            self.running[turn] = [time.monotonic(), False]
            turn.release()


class ThreadedWSGIServerReloadable:
    """The listening socket, the accept loop and the count of requests in flight."""

    multiprocess = False

    def __init__(self, host, port, app, fd=None, max_requests=0, slow_ms=0):
        self.app = app
        max_threads = int(os.environ.get("INPHMS_MAX_HTTP_THREADS", "0") or 0)
        self.http_threads_sem = threading.Semaphore(max_threads) if max_threads else None
        self.draining = False
        self.connections = 0
        self.busy = 0
        self.requests_total = 0
        self.state_lock = threading.Condition()
        self.stop_requested = False
        self.loop_done = threading.Event()
        self.pending = queue.Queue()    # accepted connections a thread will take
        self.waiting_threads = 0        # threads free to take one
        self.gate = TurnGate(max_requests, slow_ms / 1000) if max_requests else None
        self.slot_wanted = False        # a connection waits for a slot (INPHMS_MAX_HTTP_THREADS)
        # gevent's sockets wait in its hub, where kernel timeouts do nothing
        self.kernel_timeouts = not patched()
        if fd is not None:      # a prefork worker: the master's socket
            self.socket = socket.socket(fileno=os.dup(fd))
            self.multiprocess = True
        else:
            self.socket = open_listen_socket(host, port)
        # Prefork workers share one listening socket: the selector wakes them
        # all, one wins the accept, and a blocking accept would hang the others
        # (and their graceful stop).  Non-blocking, the losers just wait again.
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.server_name = str(self.server_address[0])
        self.server_port = str(self.server_address[1])

    def fileno(self):
        return self.socket.fileno()

    # -- accepting ------------------------------------------------------------
    def serve_forever(self):
        self.loop_done.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                while not self.stop_requested:
                    if not selector.select(ACCEPT_POLL):
                        continue
                    # take every waiting connection: a client queued behind
                    # busy connections would see its first answer late
                    for _ in range(ACCEPT_BATCH):
                        if self.stop_requested or not self.accept_one():
                            break
        finally:
            self.loop_done.set()

    def accept_one(self):
        # Accept only when a connection slot is free; otherwise the connection
        # waits in the kernel's queue until one is.
        if self.http_threads_sem is not None and not self.http_threads_sem.acquire(timeout=0.1):
            # An idle kept-alive connection holds a slot for up to
            # KEEPALIVE_IDLE seconds: one of them gives it up (give_up_slot).
            self.slot_wanted = True
            return False
        self.slot_wanted = False
        try:
            sock, address = self.socket.accept()
        except (BlockingIOError, InterruptedError):
            self.release_slot()
            return False    # nothing waiting, or another worker was faster
        except OSError as exc:
            self.release_slot()
            _logger.warning("accept failed: %s", exc)
            time.sleep(0.1)     # out of file descriptors: let connections end
            return False
        if self.kernel_timeouts:
            set_kernel_timeouts(sock)
        else:
            sock.settimeout(READ_TIMEOUT)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.state_lock:
            self.connections += 1
            spawn = not self.waiting_threads
            if not spawn:
                self.waiting_threads -= 1       # that thread is this connection's
        self.pending.put((sock, address))
        if spawn:
            thread = threading.Thread(target=self.connection_thread, name="inphms.http.request",
                                      daemon=True)
            thread.type = "http"
            thread.start()
        return True

    def connection_thread(self):
        """Serve connections one after the other; end after THREAD_IDLE s without one.

        Threads are kept for the next connections because starting one waits
        for it to run: with many busy threads (or greenlets) that wait, once
        per new connection, made a new client's first answer late.  They are
        daemon threads: a graceful stop waits for the connections instead
        (``wait_idle``).
        """
        thread = threading.current_thread()
        thread.name = f"inphms.http.request.{threading.get_ident()}"
        while True:
            try:
                sock, address = self.pending.get(timeout=THREAD_IDLE)
            except queue.Empty:
                with self.state_lock:
                    if self.waiting_threads:
                        self.waiting_threads -= 1
                        return
                continue    # a connection was promised to this thread: it is coming
            thread.start_time = time.time()
            self.serve_connection(sock, address)
            with self.state_lock:
                self.waiting_threads += 1

    def serve_connection(self, sock, address):
        try:
            Connection(self, sock, address).run()
        except Exception:
            _logger.exception("error while handling a connection from %s", address)
        finally:
            self.release_slot()
            with self.state_lock:
                self.connections = max(0, self.connections - 1)
                self.state_lock.notify_all()

    def give_up_slot(self):
        """True, once per call for a slot, for an idle connection that should close."""
        with self.state_lock:
            wanted, self.slot_wanted = self.slot_wanted, False
        return wanted

    def release_slot(self):
        if self.http_threads_sem is not None:
            self.http_threads_sem.release()

    def shutdown(self):
        """Stop accepting (the socket stays open for a hand-over); connections go on."""
        self.stop_requested = True
        self.loop_done.wait(ACCEPT_POLL * 4)

    def server_close(self):
        self.socket.close()

    # -- requests in flight -----------------------------------------------
    def busy_begin(self):
        with self.state_lock:
            self.busy += 1
            self.requests_total += 1

    def busy_end(self):
        with self.state_lock:
            self.busy -= 1

    def wait_idle(self, timeout):
        """Wait up to ``timeout`` s for every connection to end; True if all did."""
        deadline = time.monotonic() + timeout
        with self.state_lock:
            while self.connections:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.state_lock.wait(left)
        return True

    def start_draining(self):
        self.draining = True
