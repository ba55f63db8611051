"""One client connection's handler: werkzeug's request handler doing inphms's work in its hooks.

``RequestHandler`` is werkzeug's ``WSGIRequestHandler`` (socketserver's
life: ``setup``, ``handle``, ``finish``) with inphms's work in the hooks
Odoo's runtime gives its server:

- ``setup``: the socket's options (the kernel's timeouts threaded,
  gevent's own evented; ``TCP_NODELAY``) and the ``ClientConnection`` that
  speaks HTTP/1.1 on it (``inphms.httpserver.connection``).
- ``handle``: a thread per connection serves its requests one after the
  other.  The request pool makes its handlers with ``for_pool`` instead:
  ``setup`` only, and its poller and threads drive the connection.
- ``make_environ``: the WSGI environ of a parsed request, from a template
  of the keys every request of the connection shares, the header names'
  environ keys looked up in a table.
- ``send_header`` / ``end_headers``: the answer's head, line by line, and
  its end (``Date`` and ``Server``), as bytes the first write sends.
- ``log_error``: a refusal or a client's mistake, one warning line.

werkzeug's own ``run_wsgi``, ``make_environ`` and ``send_header`` are not
used: they parse with the email package and close the connection after
every answer; these keep it alive and parse with httptools.
"""
import logging
import socket
import struct
import sys
import threading
from urllib.parse import unquote_to_bytes

from werkzeug.serving import WSGIRequestHandler

from .connection import IDLE_POLL, READ_TIMEOUT, Body, ClientConnection, FileWrapper, ParsedRequest, http_date

_logger = logging.getLogger(__name__)

SERVER_LINE = "Server: inphms\r\n\r\n"
HOP_BY_HOP = ("connection", "transfer-encoding", "keep-alive", "server")
HEADER_KEYS_MAX = 512      # header names remembered with their environ key (memory bound)
DROPPED = ""               # a header the application never sees

# header name as sent -> environ key, or DROPPED; filled as names are met
_header_keys = {}


def header_key(name):
    """The environ key of header ``name`` (bytes), or DROPPED.

    A name with ``_`` is dropped (``X_Forwarded_For`` would pass for
    ``X-Forwarded-For``), and so is Transfer-Encoding: the framing is the
    server's, the application gets the body whole.
    """
    key = _header_keys.get(name)
    if key is not None:
        return key
    if b"_" in name:
        key = DROPPED
    else:
        key = name.upper().replace(b"-", b"_").decode("ascii")
        if key == "TRANSFER_ENCODING":
            key = DROPPED
        elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_header_keys) < HEADER_KEYS_MAX:
        _header_keys[name] = key
    return key


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


class RequestHandler(WSGIRequestHandler):
    """One connection: its socket's options, its environs, its answers' heads, its errors."""

    protocol_version = "HTTP/1.1"

    @classmethod
    def for_pool(cls, request, client_address, server):
        """A handler the request pool drives: set up, not handled (no thread of its own)."""
        handler = cls.__new__(cls)
        handler.request = request
        handler.client_address = client_address
        handler.server = server
        handler.setup()
        return handler

    def setup(self):
        """The socket's options and the connection over it (werkzeug's files are not used)."""
        sock = self.request
        server = self.server
        if server.kernel_timeouts:
            set_kernel_timeouts(sock)
        else:
            sock.settimeout(READ_TIMEOUT)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = []
        self.http = ClientConnection(server, sock, self.client_address, self)
        self.base_environ = self.environ_template()

    def handle(self):
        """A thread per connection: its requests, one after the other, until it ends."""
        threading.current_thread().name = f"inphms.http.request.{threading.get_ident()}"
        self.http.run()

    def finish(self):
        """Nothing to flush: the connection writes its answers whole; the server closes it."""

    # -- the environ --------------------------------------------------------------
    def environ_template(self):
        """The environ keys every request of this connection shares."""
        server = self.server
        address = self.client_address
        return {
            "SCRIPT_NAME": "",
            "SERVER_NAME": server.server_name,
            "SERVER_PORT": server.server_port,
            "REMOTE_ADDR": self.http.client,
            "REMOTE_PORT": str(address[1]) if isinstance(address, tuple) else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": server.multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
        }

    def make_environ(self, message):
        """The ``ParsedRequest`` (WSGI environ, body) of a parsed ``message``; HTTPError when refused."""
        facts = message.check()
        url = message.url.decode("latin-1")
        path = facts.path
        environ = {
            **self.base_environ,
            "REQUEST_METHOD": message.method,
            "PATH_INFO": (unquote_to_bytes(path) if b"%" in path else path).decode("latin-1"),
            "QUERY_STRING": facts.query.decode("latin-1"),
            "REQUEST_URI": url,
            "RAW_URI": url,
            "SERVER_PROTOCOL": "HTTP/1.1" if facts.http11 else "HTTP/1.0",
        }
        for name, value in message.headers:
            key = _header_keys.get(name)
            if key is None:
                key = header_key(name)
            if not key:
                continue
            value = value.strip(b" \t").decode("latin-1")
            if key in environ:
                value = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
            environ[key] = value
        if facts.host is not None:
            environ["HTTP_HOST"] = facts.host.decode("latin-1")
        body = Body(self.http, message, facts.http11 and message.expects_continue())
        environ["wsgi.input"] = body
        return ParsedRequest(environ, body, facts.keep_alive, facts.http11)

    # -- the answer's head ----------------------------------------------------------
    def send_status(self, status):
        """The status line begins a new head (the WSGI status as the application gave it)."""
        self.head = [f"HTTP/1.1 {status}\r\n"]

    def send_header(self, keyword, value):
        self.head.append(f"{keyword}: {value}\r\n")

    def send_headers(self, headers):
        """The application's headers, as ``send_header`` would send each (one call for
        all: this runs for every answer); (Content-Length or None, whether it gave Date).

        The hop-by-hop headers are left out: framing and keep-alive are the
        server's to decide.
        """
        append = self.head.append
        length = None
        dated = False
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                length = int(value)
            elif lower in HOP_BY_HOP:
                continue
            elif lower == "date":
                dated = True
            append(f"{name}: {value}\r\n")
        return length, dated

    def end_headers(self, dated=False):
        """The head's end (Date unless the application gave one, Server); its bytes."""
        head = self.head
        if not dated:
            head.append(f"Date: {http_date()}\r\n")
        head.append(SERVER_LINE)
        self.head = []
        return "".join(head).encode("latin-1")

    # -- errors ---------------------------------------------------------------------
    def log_error(self, format, *args):
        """A refusal or a client's mistake: one warning line naming the client."""
        _logger.warning("%s: " + format, self.http.client, *args)
