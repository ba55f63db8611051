"""The HTTP server: the listening socket, the accept loop, requests in flight.

``ThreadedWSGIServerReloadable`` is werkzeug's ``ThreadedWSGIServer``
(socketserver's life: ``server_bind``, ``server_activate``,
``serve_forever``, ``_handle_request_noblock``, ``process_request``,
``shutdown_request``, ``handle_error``) doing inphms's work in those
hooks:

- ``server_bind``: the socket handed to this process (systemd, or our own
  previous image, through ``LISTEN_FDS``), else werkzeug's bind; a prefork
  worker gets the master's socket (``fd``).
- ``_handle_request_noblock``: up to ``INPHMS_MAX_HTTP_THREADS``
  connections at once (a semaphore), and a batch of accepts per wake-up;
  at the open-file limit the pool sheds connections and accepting pauses.
- ``process_request``: each connection gets a ``RequestHandler``
  (``inphms.httpserver.handler``: its socket's options, environs, answer
  heads and error lines; ``inphms.httpserver.connection.ClientConnection``
  speaks the protocol) and goes to one of two ways of serving: threaded
  with ``max_http_requests`` (the default), the request pool
  (``inphms.httpserver.pool``: a poller reads requests whole, a few threads
  serve them); under ``--evented``, or with ``max_http_requests = 0``, a
  thread per connection (the handler's ``handle``), kept for the next
  connections and tagged ``type = "http"`` and ``start_time``.  gevent's
  patching turns the threads and sockets into greenlets and cooperative
  sockets.
- ``shutdown_request``: a connection's end frees its slot and its count.

The server counts requests in flight so a graceful stop can wait for them,
and it has a drain mode in which kept-alive connections are closed instead
of reused.  ``make_http_server`` builds it from the configuration, for the
threaded, evented and prefork models alike.
"""
import errno
import logging
import os
import queue
import socket
import socketserver
import threading
import time

from werkzeug.serving import ThreadedWSGIServer

from ..config import config
from ..errors import StartupError
from ..patch_gevent import patched
from . import balance
from .handler import RequestHandler
from .pool import RequestPool, thread_cap

_logger = logging.getLogger(__name__)

SD_LISTEN_FDS_START = 3
LISTEN_QUEUE = 128
ACCEPT_POLL = 0.5          # how often the accept loop looks at the stop flag
ACCEPT_BATCH = 64          # connections accepted in one go, at most
THREAD_IDLE = 60.0         # seconds a connection's thread waits for a next connection
BODY_BUFFER = 8 * 2**20    # body bytes read before the application runs, without limit_request


def systemd_socket_fd():
    """The fd of a socket handed to this process (systemd or a phoenix), or None."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    if int(os.environ.get("LISTEN_FDS", "0") or 0) < 1:
        return None
    return SD_LISTEN_FDS_START


def take_handed_socket():
    """The listening socket handed to this process (systemd, phoenix), or None."""
    fd = systemd_socket_fd()
    if fd is None:
        return None
    for key in ("LISTEN_FDS", "LISTEN_PID"):
        os.environ.pop(key, None)
    sock = socket.socket(fileno=fd)
    sock.set_inheritable(False)
    _logger.info("using the listening socket handed to this process (%s:%s)",
                 *sock.getsockname()[:2])
    return sock


def open_listen_socket(host, port):
    """The socket handed to this process (systemd, phoenix), or a new one bound to host:port."""
    sock = take_handed_socket()
    if sock is not None:
        return sock
    try:
        return socket.create_server((host, port), backlog=LISTEN_QUEUE)
    except OSError as exc:
        raise StartupError(f"Port {port} is in use by another program, or cannot be "
                           f"bound: {exc.strerror}") from None


class ThreadedWSGIServerReloadable(ThreadedWSGIServer):
    """werkzeug's threaded server with inphms's socket, accept loop and request pool."""

    daemon_threads = True       # a graceful stop waits for connections (wait_idle), not threads
    request_queue_size = LISTEN_QUEUE

    def __init__(self, host, port, app, fd=None, max_requests=0, slow_ms=0, body_buffer=None,
                 limit_memory_hard=0):
        # a request's body up to this size is read (by the poller) before the
        # application sees it; a larger one the application reads as it comes
        self.body_buffer = body_buffer or BODY_BUFFER
        # answers the application knows without a WSGI call (inphms.http's Application)
        self.quick = getattr(app, "quick_answer", None)
        self.quick_prefixes = getattr(app, "quick_prefixes", ())   # the targets it may know
        max_threads = int(os.environ.get("INPHMS_MAX_HTTP_THREADS", "0") or 0)
        self.http_threads_sem = threading.Semaphore(max_threads) if max_threads else None
        self.draining = False
        self.connections = 0
        self.busy = 0
        self.requests_total = 0
        self.state_lock = threading.Condition()
        # the counts of requests in flight change twice a request and nobody
        # waits on them: a plain lock (a Condition's with is Python code)
        self.busy_lock = threading.Lock()
        self.stop_requested = False
        self.loop_done = threading.Event()
        self.pending = queue.Queue()    # accepted connections a thread will take
        self.waiting_threads = 0        # threads free to take one
        self.slot_wanted = False        # a connection waits for a slot (INPHMS_MAX_HTTP_THREADS)
        self.out_of_fds_logged = False
        self.handed_socket = False
        self.multiprocess = fd is not None      # a prefork worker: the master's socket
        # a prefork worker's share of the new connections (balance)
        self.board = balance.current if self.multiprocess else None
        # gevent's sockets wait in its hub, where kernel timeouts do nothing
        self.kernel_timeouts = not patched()
        # Threaded with a cap: a few request threads serve the requests a
        # poller read whole (it reads without waiting, which needs the kernel
        # timeouts: a Python timeout polls before reading).  Evented, or
        # without a cap: a thread (greenlet) per connection.
        self.pool = None    # werkzeug's __init__ calls server_close() when given an fd
        super().__init__(host, port, app, handler=RequestHandler, fd=fd)
        self.pool = (RequestPool(self, max_requests, slow_ms / 1000,
                                 thread_cap(max_requests, limit_memory_hard))
                     if max_requests and not patched() else None)
        # Prefork workers share one listening socket: the selector wakes them
        # all, one wins the accept, and a blocking accept would hang the others
        # (and their graceful stop).  Non-blocking, the losers just wait again.
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.server_name = str(self.server_address[0])
        self.server_port = str(self.server_address[1])

    # -- the listening socket ---------------------------------------------------
    def server_bind(self):
        """The socket handed to this process, else bind host:port (no DNS lookup)."""
        handed = take_handed_socket()
        if handed is not None:
            self.socket.close()
            self.socket = handed
            self.handed_socket = True
            self.server_address = handed.getsockname()
            return
        try:
            socketserver.TCPServer.server_bind(self)
        except OSError as exc:
            raise StartupError(f"Port {self.port} is in use by another program, or cannot be "
                               f"bound: {exc.strerror}") from None

    def server_activate(self):
        if not self.handed_socket:      # a handed socket listens already
            self.socket.listen(self.request_queue_size)

    # -- accepting ------------------------------------------------------------
    def serve_forever(self, poll_interval=ACCEPT_POLL):
        """socketserver's loop (werkzeug's closes the socket at its end: a reload
        hands it over), with the request pool running beside it."""
        self.loop_done.clear()
        if self.pool is not None:
            self.pool.start()
        try:
            socketserver.BaseServer.serve_forever(self, poll_interval)
        finally:
            self.loop_done.set()

    def _handle_request_noblock(self):
        # take every waiting connection: a client queued behind busy
        # connections would see its first answer late
        for _ in range(ACCEPT_BATCH):
            if self.stop_requested or not self.accept_one():
                break

    def accept_one(self):
        if balance.yield_to_a_quieter_worker(self.board, self.socket, self.connections):
            return False    # a worker with fewer connections took it
        # Accept only when a connection slot is free; otherwise the connection
        # waits in the kernel's queue until one is.
        if self.http_threads_sem is not None and not self.http_threads_sem.acquire(timeout=0.1):
            # An idle kept-alive connection holds a slot for up to
            # KEEPALIVE_IDLE seconds: one of them gives it up (give_up_slot).
            self.slot_wanted = True
            return False
        self.slot_wanted = False
        try:
            sock, address = self.get_request()
        except (BlockingIOError, InterruptedError):
            self.release_slot()
            return False    # nothing waiting, or another worker was faster
        except OSError as exc:
            self.release_slot()
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                # out of file descriptors: the poller sheds idle and slow
                # connections, and accepting pauses meanwhile; the new
                # clients wait in the kernel's queue, they are not refused
                if self.pool is not None:
                    self.pool.shed()
                if not self.out_of_fds_logged:
                    self.out_of_fds_logged = True
                    _logger.warning("accept failed: %s (shedding idle connections)", exc)
            else:
                _logger.warning("accept failed: %s", exc)
            time.sleep(0.1)
            return False
        self.out_of_fds_logged = False
        try:
            self.process_request(sock, address)
        except Exception:
            self.handle_error(sock, address)
            self.shutdown_request(sock)
        return True

    def process_request(self, request, client_address):
        """A new connection: to the request pool (its handler set up here), or to a
        thread of its own (socketserver's life: ``RequestHandler`` sets up and handles it)."""
        with self.state_lock:
            self.connections += 1
            if self.board is not None:
                self.board.count(self.connections)
        if self.pool is not None:
            self.pool.add(RequestHandler.for_pool(request, client_address, self).http)
        else:
            self.give_to_thread(request, client_address)

    def give_to_thread(self, sock, address):
        """A thread per connection: a waiting thread takes it, or a new one."""
        with self.state_lock:
            spawn = not self.waiting_threads
            if not spawn:
                self.waiting_threads -= 1       # that thread is this connection's
        self.pending.put((sock, address))
        if spawn:
            thread = threading.Thread(target=self.connection_thread, name="inphms.http.request",
                                      daemon=True)
            thread.type = "http"
            thread.start_time = time.time()
            thread.start()

    def connection_thread(self):
        """Serve connections one after the other; end after THREAD_IDLE s without one.

        Threads are kept for the next connections because starting one waits
        for it to run: with many busy threads (or greenlets) that wait, once
        per new connection, made a new client's first answer late.  They are
        daemon threads: a graceful stop waits for the connections instead
        (``wait_idle``).
        """
        thread = threading.current_thread()
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
            # socketserver's: RequestHandler(sock, address, self), then shutdown_request
            self.process_request_thread(sock, address)
            with self.state_lock:
                self.waiting_threads += 1

    def shutdown_request(self, request):
        """A connection ends: its socket closes, its slot and its count are freed."""
        try:
            super().shutdown_request(request)
        finally:
            self.connection_closed()

    def handle_error(self, request, client_address):
        _logger.exception("error while handling a connection from %s", client_address)

    def connection_closed(self):
        self.release_slot()
        with self.state_lock:
            self.connections = max(0, self.connections - 1)
            if self.board is not None:
                self.board.count(self.connections)
            self.state_lock.notify_all()

    def give_up_slot(self):
        """True, once per call for a slot, for an idle connection that should close."""
        with self.state_lock:
            wanted, self.slot_wanted = self.slot_wanted, False
        return wanted

    def release_slot(self):
        if self.http_threads_sem is not None:
            self.http_threads_sem.release()

    def shutdown(self, keep_listening=True):
        """Stop accepting; the connections go on.

        ``keep_listening``: the socket stays open for a hand-over (a reload:
        the next image accepts what queues meanwhile).  Otherwise (a stop)
        the connections already in the kernel's queue are accepted and
        served (their first request answered, with ``Connection: close``)
        and the socket closes: a client connecting later is refused at once
        instead of being reset when the process exits.
        """
        self.stop_requested = True
        if self.board is not None:
            self.board.leave()      # the other workers stop yielding to this one
        self._BaseServer__shutdown_request = True      # socketserver's loop flag
        self.loop_done.wait(ACCEPT_POLL * 4)
        if keep_listening:
            return
        # at most a queue's worth: prefork workers share the socket, and on a
        # busy one new connections never stop coming
        for _ in range(self.request_queue_size):
            if not self.accept_one():
                break
        self.socket.close()

    def server_close(self):
        self.socket.close()
        if self.pool is not None:
            self.pool.stop()

    # -- requests in flight -----------------------------------------------
    def busy_begin(self):
        with self.busy_lock:
            self.busy += 1
            self.requests_total += 1

    def busy_end(self):
        with self.busy_lock:
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


def make_http_server(app, fd=None):
    """The HTTP server of the configuration, for every process model (threaded,
    evented, a prefork worker on the master's socket ``fd``)."""
    return ThreadedWSGIServerReloadable(
        config["http_interface"], config["http_port"], app, fd=fd,
        max_requests=config["max_http_requests"], slow_ms=config["slow_request_ms"],
        body_buffer=config["limit_request"], limit_memory_hard=config["limit_memory_hard"])
