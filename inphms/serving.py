"""The HTTP server: werkzeug's threaded server, adapted through its hooks.

``ThreadedWSGIServerReloadable`` adds what a reloadable production server
needs: a listening socket handed over by systemd or by our own previous image
(``LISTEN_FDS``), a cap on requests in flight (``INPHMS_MAX_HTTP_THREADS``),
non-daemon request threads that a graceful stop can wait for, and a drain
mode in which kept-alive connections are closed instead of reused.

``RequestHandler`` names its thread, logs one access line per request with
secrets masked, and closes idle kept-alive connections when the server
drains.
"""
import logging
import os
import selectors
import socket
import threading
import time

import werkzeug.serving

from .errors import StartupError
from .logsetup import mask_secrets

_logger = logging.getLogger(__name__)
_access = logging.getLogger("inphms.access")

SD_LISTEN_FDS_START = 3
FIRST_REQUEST_WAIT = 10.0  # seconds a new connection may take to send its request
KEEPALIVE_IDLE = 60.0      # seconds an idle kept-alive connection stays open
IDLE_POLL = 0.25           # how often an idle connection looks at the drain flag


def systemd_socket_fd():
    """The fd of a socket handed to this process (systemd or a phoenix), or None."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    if int(os.environ.get("LISTEN_FDS", "0") or 0) < 1:
        return None
    return SD_LISTEN_FDS_START


def open_listen_socket(host, port):
    """The socket handed to this process (systemd, phoenix), or a new one bound to host:port.

    For the servers that do not bind through werkzeug: the prefork master
    and the gevent server.
    """
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
        return socket.create_server((host, port), backlog=werkzeug.serving.LISTEN_QUEUE)
    except OSError as exc:
        raise StartupError(f"Port {port} is in use by another program, or cannot be "
                           f"bound: {exc.strerror}") from None


class LoggingBaseWSGIServerMixIn:
    """Errors of the server loop go to our log, not to stderr."""

    def handle_error(self, request, client_address):
        _logger.exception("error while handling a request from %s", client_address)


class RequestHandler(werkzeug.serving.WSGIRequestHandler):
    """One connection: its requests, its access lines, its idle waits."""

    def setup(self):
        threading.current_thread().name = f"inphms.http.request.{threading.get_ident()}"
        super().setup()
        self.request_started = None
        self.status_code = "-"
        self.requests_seen = 0

    def handle_one_request(self):
        if not self.wait_for_request():
            self.close_connection = True
            return
        self.request_started = time.monotonic()
        self.status_code = "-"
        self.requests_seen += 1
        self.server.busy_begin()
        try:
            super().handle_one_request()
        finally:
            self.server.busy_end()
        if self.request_started is not None and getattr(self, "command", None):
            self.log_access()

    def wait_for_request(self):
        """Wait until the client sends something; False to close instead.

        A new connection gets up to FIRST_REQUEST_WAIT seconds for its first
        request even while the server drains: its client connected before the
        stop and is about to send.  A kept-alive connection that is idle when
        the server drains is closed rather than reused.
        """
        if self.has_buffered_input():
            return True
        first = self.requests_seen == 0
        deadline = time.monotonic() + (FIRST_REQUEST_WAIT if first else KEEPALIVE_IDLE)
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(IDLE_POLL):
                    return True
                if self.server.draining and not first:
                    return False
        return False

    def has_buffered_input(self):
        """True if a request is already readable (pipelined, or just arrived)."""
        self.connection.setblocking(False)
        try:
            return bool(self.rfile.peek(1))
        except OSError:
            return True     # let the real read meet the error
        finally:
            self.connection.settimeout(self.timeout)

    def log_request(self, code="-", size="-"):
        # Called by werkzeug when the status line is sent; the line itself is
        # written once the response is complete, with the full duration.
        self.status_code = getattr(code, "value", code)

    def log_access(self):
        duration = (time.monotonic() - self.request_started) * 1000
        _access.info("%s %s %s %s %.1fms", self.address_string(), self.command,
                     mask_secrets(self.path), self.status_code, duration)

    def log_error(self, format, *args):
        _logger.warning("%s: %s", self.address_string(), mask_secrets(format % args))

    def log_message(self, format, *args):
        _logger.info("%s: %s", self.address_string(), mask_secrets(format % args))

    @property
    def server_version(self):
        return "inphms"

    def send_response(self, code, message=None):
        self.sent_header_names = set()
        super().send_response(code, message)

    def send_header(self, keyword, value):
        # werkzeug adds Date (and may add Server) after the base class did.
        name = keyword.lower()
        if name in ("date", "server") and name in self.sent_header_names:
            return
        self.sent_header_names.add(name)
        super().send_header(keyword, value)

    def end_headers(self):
        # A draining server ends every connection after its response.
        if self.server.draining and not self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        super().end_headers()


class ThreadedWSGIServerReloadable(LoggingBaseWSGIServerMixIn, werkzeug.serving.ThreadedWSGIServer):
    """werkzeug's ThreadedWSGIServer that can hand its socket to a new image."""

    daemon_threads = False
    block_on_close = False     # we track requests ourselves (see wait_idle)

    def __init__(self, host, port, app, fd=None):
        max_threads = int(os.environ.get("INPHMS_MAX_HTTP_THREADS", "0") or 0)
        self.max_http_threads = max_threads
        self.http_threads_sem = threading.Semaphore(max_threads) if max_threads else None
        self.draining = False
        self.connections = 0
        self.busy = 0
        self.requests_total = 0
        self.state_lock = threading.Condition()
        # a prefork worker serves the master's socket (fd); else systemd's or ours
        self.socket_from_env = None if fd is not None else systemd_socket_fd()
        super().__init__(host, port, app, handler=RequestHandler, fd=fd)
        # Prefork workers share one listening socket: the selector wakes them
        # all, one wins the accept, and a blocking accept would hang the others
        # (and their graceful stop).  Non-blocking, the losers just wait again.
        self.socket.setblocking(False)

    # -- binding: systemd / phoenix socket, or a fresh one -----------------
    def server_bind(self):
        if self.socket_from_env is None:
            super().server_bind()
            return
        self.socket.close()
        self.socket = socket.socket(fileno=self.socket_from_env)
        self.socket.set_inheritable(False)
        self.server_address = self.socket.getsockname()
        for key in ("LISTEN_FDS", "LISTEN_PID"):
            os.environ.pop(key, None)
        _logger.info("using the listening socket handed to this process (%s:%s)",
                     *self.server_address[:2])

    def server_activate(self):
        self.socket.listen(self.request_queue_size)

    def get_request(self):
        conn, address = super().get_request()
        conn.setblocking(True)
        return conn, address

    # -- requests in flight -----------------------------------------------
    def _handle_request_noblock(self):
        # Accept only when a request slot is free; otherwise the connection
        # waits in the kernel's queue until one is.
        if self.http_threads_sem is not None and not self.http_threads_sem.acquire(timeout=0.1):
            return
        super()._handle_request_noblock()

    def process_request(self, request, client_address):
        with self.state_lock:
            self.connections += 1
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address),
                                  name="inphms.http.request")
        thread.daemon = False
        thread.type = "http"
        thread.start_time = time.time()
        thread.start()

    def shutdown_request(self, request):
        super().shutdown_request(request)
        if self.http_threads_sem is not None:
            self.http_threads_sem.release()
        with self.state_lock:
            self.connections = max(0, self.connections - 1)
            self.state_lock.notify_all()

    def busy_begin(self):
        with self.state_lock:
            self.busy += 1
            self.requests_total += 1

    def busy_end(self):
        with self.state_lock:
            self.busy -= 1
            self.state_lock.notify_all()

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
