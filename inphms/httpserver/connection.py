"""HTTP/1.1 on one connection: requests in, WSGI answers out, kept alive.

``ClientConnection`` is one client.  Its bytes go to a ``RequestParser``
(``inphms.httpserver.protocol``: httptools and the rules of RFC 9112), which
keeps the requests they hold; a request is *servable* once it is whole, or
refused, or its body is over the server's ``body_buffer`` (then the
application reads the rest as it comes, at a minimum rate), or its client
waits for ``100 Continue``.  ``Exchange`` calls the WSGI application for a
servable request and writes the answer (Content-Length when the size is
known, chunked otherwise, a file through ``sendfile``) and decides whether
the connection carries another request.  ``Body`` is ``wsgi.input``:
exactly the request's body, with a lazy ``100 Continue``.  Requests refused
before the application get a status and ``Connection: close``.  One access
line per request, secrets masked and control bytes escaped
(``inphms.httpserver.accesslog``).

Each stage of a request has its own time limit (``deadline``): a new
connection ``FIRST_REQUEST_WAIT`` s for the first byte of its request, a
kept-alive one ``KEEPALIVE_IDLE`` s; a head ``HEAD_TIMEOUT`` s from its
first byte to its end, however its bytes trickle; a body ``BODY_GRACE`` s
and then at least ``MIN_BODY_RATE`` bytes a second on average.

The server around it (listening socket, threads, requests in flight) is
``inphms.httpserver.server``.
"""
import email.utils
import html
import json
import logging
import os
import socket
import time

from .. import release
from .accesslog import access_line
from .protocol import HTTPError, RequestParser

_logger = logging.getLogger(__name__)
_access = logging.getLogger("inphms.access")

FIRST_REQUEST_WAIT = 10.0  # seconds a new connection may take to start its request
KEEPALIVE_IDLE = 60.0      # seconds an idle kept-alive connection stays open
IDLE_POLL = 0.25           # how often an idle connection looks at the drain flag (a tick)
READ_TIMEOUT = 60.0        # seconds a started request may pause between two reads
HEAD_TIMEOUT = 20.0        # seconds from a head's first byte to its end
BODY_GRACE = 10.0          # seconds a body may take before MIN_BODY_RATE applies
MIN_BODY_RATE = 4096       # bytes a second a body must average after BODY_GRACE
DRAIN_IDLE_GRACE = 0.5     # draining: seconds after its last answer an idle connection closes

RECV_SIZE = 65536
DRAIN_LIMIT = 65536        # unread body bytes skipped to keep a connection; more: close

NO_BODY_STATUS = ("1", "204", "304")
QUICK_METHODS = ("GET", "HEAD")     # requests that may have a quick answer (answer_quick)


class ClientGone(Exception):
    """The client closed the connection or stopped sending."""


class FileWrapper:
    """``wsgi.file_wrapper``: a file the server may send with ``sendfile``."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        while True:
            block = self.filelike.read(self.blksize)
            if not block:
                return
            yield block

    def close(self):
        close = getattr(self.filelike, "close", None)
        if close:
            close()


class Body:
    """``wsgi.input``: exactly the request's body, never the next request."""

    def __init__(self, connection, message, expect_continue=False):
        self.connection = connection
        self.message = message
        self.expect_continue = expect_continue and not message.complete and not message.received
        self.broken = False            # a read failed: where the body ends is unknown

    def wait_more(self):
        """Read more of the body from the client; False at its end."""
        message = self.message
        if message.error:
            raise message.error
        if message.complete:
            return False
        if self.expect_continue:
            self.expect_continue = False
            self.connection.send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.connection.fill()
        return True

    def read(self, size=-1):
        try:
            return self._read(size)
        except (ClientGone, HTTPError, OSError):
            # The application may catch this and answer; the bytes after a
            # broken body must still never be taken for the next request.
            self.broken = True
            raise

    def _read(self, size):
        body = self.message.body
        if size is None or size < 0:
            while self.wait_more():
                pass
            data = bytes(body)
            body.clear()
            return data
        while not body and self.wait_more():
            pass
        data = bytes(body[:size])
        del body[:size]
        return data

    def readline(self, size=-1):
        try:
            return self._readline(-1 if size is None else size)
        except (ClientGone, HTTPError, OSError):
            self.broken = True
            raise

    def _readline(self, size):
        body = self.message.body
        while True:
            end = body.find(b"\n")
            if end >= 0:
                cut = end + 1
                break
            if 0 <= size <= len(body) or not self.wait_more():
                cut = len(body)
                break
        if size >= 0:
            cut = min(cut, size)
        data = bytes(body[:cut])
        del body[:cut]
        return data

    def readlines(self, hint=-1):
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")

    def skip(self, limit):
        """Read and drop what the application left; False if more than ``limit``.

        A client still waiting for "100 Continue" has not sent its body and
        may never send it: that connection cannot carry another request.
        """
        if self.expect_continue or self.broken:
            return False
        message = self.message
        message.body.clear()
        start = message.received
        while not message.complete:
            if message.error:
                return False
            if message.length is not None and message.length - message.received > limit:
                return False
            if message.received - start > limit:
                return False
            try:
                self.connection.fill()
            except (ClientGone, OSError):
                return False
            message.body.clear()
        return not message.error

    def will_close(self):
        """True when, unread as it is now, this body will end the connection.

        Decided with the answer's headers so the answer can say
        ``Connection: close``.  A client waiting for "100 Continue" gets a
        final answer instead, and never the "100" after it.
        """
        if self.expect_continue:
            self.expect_continue = False
            return True
        message = self.message
        if self.broken or message.error:
            return True
        return (not message.complete and message.length is not None
                and message.length - message.received > DRAIN_LIMIT)


class ParsedRequest:
    """One servable request: its environ, its body and whether it may be followed."""

    def __init__(self, environ, body, keep_alive, http11):
        self.environ = environ
        self.body = body
        self.keep_alive = keep_alive
        self.http11 = http11


class ClientConnection:
    """One client connection and the requests it sends."""

    def __init__(self, server, sock, address, handler):
        self.server = server
        self.handler = handler          # its RequestHandler: environs, heads, error lines
        self.sock = sock
        self.address = address
        self.client = address[0] if isinstance(address, tuple) and address else "-"
        self.parser = RequestParser()
        self.requests_seen = 0
        now = time.monotonic()
        self.idle_deadline = now + FIRST_REQUEST_WAIT
        self.answered = now             # when its last answer went out (or it connected)
        self.last_read = now
        self.in_flight = False          # whether it counts a request in flight (server.busy)
        # Threaded, the socket is blocking with kernel timeouts (see
        # server.set_kernel_timeouts): a read or a write is one system call.
        # Evented, gevent's socket waits in its hub with the socket's timeout.
        self.kernel_timeouts = server.kernel_timeouts
        # answer bytes the poller could not send without waiting (quick answers):
        # a request thread sends them, then keeps the connection or not
        self.unsent = b""
        self.unsent_keep = False

    # -- what has arrived -----------------------------------------------------
    @property
    def message(self):
        """The oldest request not yet answered, or None."""
        messages = self.parser.messages
        return messages[0] if messages else None

    def servable(self):
        """True when the oldest request can go to a thread (whole, refused, or big)."""
        if self.unsent:
            return True
        message = self.message
        if message is None:
            return False
        if message.error or message.complete:
            return True
        if not message.headers_done:
            return False
        if message.expects_continue() and not message.received:
            return True     # its client sends the body once we ask for it
        buffer = self.server.body_buffer
        return message.received >= buffer or (message.length or 0) > buffer

    def deadline(self):
        """When the current stage (first request, idle, head, body) runs out of time."""
        message = self.message
        if message is None:
            return self.idle_deadline
        pause = self.last_read + READ_TIMEOUT
        if not message.headers_done:
            return min(pause, max(message.begun, self.answered) + HEAD_TIMEOUT)
        return min(pause, message.headed + BODY_GRACE + message.received / MIN_BODY_RATE)

    def receiving(self):
        """True while a request's bytes are arriving (its head or its body)."""
        message = self.message
        return message is not None and not message.complete and not message.error

    # -- reading --------------------------------------------------------------
    def feed(self, data):
        self.last_read = time.monotonic()
        self.parser.feed(data)

    def fill(self):
        """Read more of the request; socket.timeout after READ_TIMEOUT s without a byte
        or past the request's own deadline (a body under the minimum rate)."""
        deadline = min(time.monotonic() + READ_TIMEOUT - IDLE_POLL, self.deadline())
        if self.message is not None and self.message.complete:
            deadline = time.monotonic() + READ_TIMEOUT - IDLE_POLL   # reading ahead
        if not self.recv_by_ticks(deadline):
            raise socket.timeout("timed out")

    def recv_by_ticks(self, deadline, stop=None):
        """recv() and parse, tried again at each tick; False once past deadline or stop().

        A tick is a read that gives up without a byte: SO_RCVTIMEO on the
        threaded server's blocking sockets, the socket's timeout under gevent.
        """
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except (BlockingIOError, socket.timeout):
                if stop is not None and stop():
                    # one last look: a request that came meanwhile is answered
                    return self.arrived_now()
                if time.monotonic() >= deadline:
                    return False
                continue
            if not data:
                raise ClientGone()
            self.feed(data)
            # bytes that trickle in do not buy time: a head or a body past
            # its deadline ends here however often its bytes come
            message = self.message
            if time.monotonic() >= deadline and message is not None and not message.complete:
                return False
            return True

    def arrived_now(self):
        """True when bytes have arrived (and are parsed) without waiting."""
        try:
            return self.read_now()
        except socket.timeout:
            return False

    def read_now(self):
        """Read and parse what has arrived, without waiting; False if nothing had."""
        try:
            data = self.sock.recv(RECV_SIZE, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        if not data:
            raise ClientGone()
        self.feed(data)
        return True

    def wait_for_request(self):
        """A thread per connection: read until a request is servable; False to close instead.

        A new connection gets up to FIRST_REQUEST_WAIT seconds for its first
        request even while the server drains: its client connected before the
        stop and is about to send.  A kept-alive connection that is idle when
        the server drains is closed rather than reused, and so is one when a
        new connection waits for its slot (INPHMS_MAX_HTTP_THREADS).
        """
        if self.requests_seen:
            # Let the other connections run first: a client that sends its next
            # request at once would otherwise keep the GIL (or, evented, the
            # hub) and starve the others, which shows as a long p99.
            time.sleep(0)
        if not self.kernel_timeouts:
            # Evented: the tick is a short timeout of gevent's socket, which only
            # sets an attribute (gevent's poll() built new watchers on every call).
            self.sock.settimeout(IDLE_POLL)
        try:
            while not self.servable():
                if self.message is not None:
                    self.count_in_flight(True)
                idle = self.message is None and self.requests_seen
                if not self.recv_by_ticks(self.deadline(), self.should_close if idle else None):
                    return False
            self.count_in_flight(True)
            return True
        finally:
            if not self.kernel_timeouts:
                self.sock.settimeout(READ_TIMEOUT)

    def should_close(self):
        """An idle kept-alive connection closes when the server drains or wants its slot."""
        return (self.server.draining and self.idle_closable()) or self.server.give_up_slot()

    # -- writing --------------------------------------------------------------
    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except BlockingIOError:     # SO_SNDTIMEO: the client read nothing for READ_TIMEOUT s
            raise socket.timeout("timed out") from None

    def sendfile(self, filelike, offset, count):
        """``socket.sendfile``, which needs the socket's own timeout to give up."""
        if not self.kernel_timeouts:
            return self.sock.sendfile(filelike, offset, count)
        # on a blocking socket it would wait for a stalled client for ever
        self.sock.settimeout(READ_TIMEOUT)
        try:
            return self.sock.sendfile(filelike, offset, count)
        finally:
            self.sock.settimeout(None)

    # -- the connection's life ------------------------------------------------
    def run(self):
        """A thread per connection: wait for each request and serve it, until the end."""
        try:
            while self.wait_for_request():
                keep = self.handle_message()
                self.count_in_flight(False)
                if not keep:
                    break
        except (ClientGone, socket.timeout, ConnectionError):
            pass
        except OSError as exc:
            _logger.debug("connection from %s: %s", self.client, exc)
        finally:
            self.count_in_flight(False)
            self.close()

    def count_in_flight(self, flight):
        """Count this connection's request in flight (``server.busy``) from its first
        byte to its answer: a reload for memory waits for a request still arriving,
        as for one that runs."""
        if flight == self.in_flight:
            return
        self.in_flight = flight
        if flight:
            self.server.busy_begin()
        else:
            self.server.busy_end()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.sock.close()

    def handle_message(self):
        """Serve the oldest request, which is servable; True when another may follow."""
        if self.unsent:
            data, self.unsent = self.unsent, b""
            self.send_raw(data)
            return self.unsent_keep
        if self.server.quick is not None:
            keep = self.answer_quick()
            if keep is not None:
                return keep
        message = self.message
        self.requests_seen += 1
        try:
            request = self.handler.make_environ(message)
        except HTTPError as exc:
            self.refuse(exc)
            return False
        exchange = Exchange(self, request)
        try:
            keep = exchange.run()
        finally:
            exchange.log()
            self.parser.messages.popleft()
            self.answered = time.monotonic()
            self.idle_deadline = self.answered + KEEPALIVE_IDLE
        # draining, an answer without "Connection: close" keeps the connection
        # open: its client may send the next request at once, and the
        # connection is closed only once idle (idle_closable)
        return keep

    def answer_quick(self, waiting=True):
        """Answer the oldest request from the application's memory, without a WSGI call.

        ``server.quick`` (``Application.quick_answer``) knows the whole answer
        of some requests (a small static file it has served); for those the
        head is built here as ``Exchange`` builds it, so the bytes are the
        same.  None when the request takes the usual path; else True when
        the connection carries another request.  With ``waiting`` False (the
        poller) nothing waits for the client: what its socket cannot take
        now stays in ``unsent`` for a request thread.
        """
        message = self.message
        server = self.server
        if (not message.complete or message.error or message.received or server.draining
                or message.method not in QUICK_METHODS or message.upgrade
                or not message.url.startswith(server.quick_prefixes)):
            return None
        try:
            facts = message.check()
        except HTTPError:
            return None         # the usual path refuses it
        started = time.monotonic()
        answer = server.quick(message.method, facts.path, facts.query, message.fields,
                              self.client)
        if answer is None:
            return None
        status, headers, body, client = answer
        self.count_in_flight(True)
        self.requests_seen += 1
        keep = facts.keep_alive
        handler = self.handler
        handler.send_status(status)
        _, dated = handler.send_headers(headers)
        if not keep:
            handler.send_header("Connection", "close")
        elif not facts.http11:
            handler.send_header("Connection", "keep-alive")
        data = handler.end_headers(dated) + body
        try:
            if waiting:
                self.send_raw(data)
            else:
                sent = self.sock.send(data, socket.MSG_DONTWAIT)
                if sent < len(data):
                    self.unsent, self.unsent_keep = data[sent:], keep
        except BlockingIOError:
            self.unsent, self.unsent_keep = data, keep
        except OSError:
            keep = False
        finally:
            self.parser.messages.popleft()
            self.answered = time.monotonic()
            self.idle_deadline = self.answered + KEEPALIVE_IDLE
            if _access.isEnabledFor(logging.INFO):
                _access.info("%s", access_line(client, message.method,
                                                message.url.decode("latin-1"), status[:3],
                                                (self.answered - started) * 1000))
            self.count_in_flight(False)
        return keep

    def idle_closable(self):
        """Draining: True for an idle kept-alive connection idle for DRAIN_IDLE_GRACE s.

        A client that just read an answer which did not say ``Connection:
        close`` may be sending its next request now; closing at once would
        reset it.  The grace is short: a reload waits that much longer.
        """
        return time.monotonic() - self.answered >= DRAIN_IDLE_GRACE

    def refuse(self, exc, headers=""):
        ctype, body = refusal_body(exc)
        self.send_raw((f"HTTP/1.1 {exc.status} {exc.reason.split(':')[0]}\r\n"
                       f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                       f"{headers}Connection: close\r\n\r\n").encode() + body)
        self.handler.log_error("refused with %s %s", exc.status, exc.reason)


class Exchange:
    """One request's answer: start_response, the body, keep-alive or not."""

    def __init__(self, connection, request):
        self.connection = connection
        self.request = request
        self.environ = request.environ
        self.head = request.environ["REQUEST_METHOD"] == "HEAD"
        self.status = None
        self.headers = None
        self.headers_sent = False
        self.chunked = False
        self.length = None          # Content-Length announced, or None
        self.no_body = False        # 1xx, 204, 304: no body whatever the headers say
        self.sent = 0               # body bytes sent
        self.keep = request.keep_alive
        self.started = time.monotonic()

    def start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        for name, value in headers:
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
                raise ValueError(f"header {name!r} contains a line break")
        self.status = status
        self.headers = headers
        return self.write

    def run(self):
        """Call the application and send its answer; True to keep the connection."""
        connection = self.connection
        try:
            result = connection.server.app(self.environ, self.start_response)
        except Exception:
            _logger.exception("error in the WSGI application")
            if self.headers_sent:
                return False    # an answer is under way: a 500 would land inside it
            self.status, self.headers, result = "500 Internal Server Error", [
                ("Content-Type", "text/plain; charset=utf-8")], [b"internal server error\n"]
        try:
            if isinstance(result, FileWrapper) and self.send_file(result):
                pass
            elif isinstance(result, list) and len(result) == 1:
                self.write(result[0], last=True)
            else:
                for data in result:
                    if data:
                        self.write(data)
            if not self.headers_sent:
                self.write(b"", last=True)
            elif self.chunked:
                connection.send_raw(b"0\r\n\r\n")
        except (ClientGone, ConnectionError, socket.timeout):
            return False
        except Exception:
            _logger.exception("error while sending the answer to %s", connection.client)
            if not self.headers_sent:
                self.keep = False
                self.status, self.headers = "500 Internal Server Error", [("Content-Length", "0")]
                self.write(b"", last=True)
            return False
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        if self.length is not None and self.sent != self.length and not (
                self.head or self.no_body):
            return False
        if not self.keep or self.request.body.broken:
            return False
        return self.request.body.skip(DRAIN_LIMIT)

    def write(self, data, last=False):
        """WSGI ``write`` and the body's chunks; the first one carries the headers."""
        if self.status is None:
            raise AssertionError("write() before start_response()")
        head = b""
        if not self.headers_sent:
            head = self.head_bytes(len(data) if last else None)
            self.headers_sent = True
        if self.head or not data:
            if head:
                self.connection.send_raw(head)
            return
        if self.chunked:
            self.connection.send_raw(head + b"%x\r\n%s\r\n" % (len(data), data))
            return
        if self.length is not None and self.sent + len(data) > self.length:
            data = data[:self.length - self.sent]   # never more than announced
        self.sent += len(data)
        self.connection.send_raw(head + data)

    def head_bytes(self, known_length):
        """The status line and headers (the handler's ``send_header`` / ``end_headers``);
        decides length, chunking and keep-alive."""
        status = self.status
        handler = self.connection.handler
        handler.send_status(status)
        send_header = handler.send_header
        self.length, dated = handler.send_headers(self.headers)
        no_body = self.no_body = status.startswith(NO_BODY_STATUS)
        if self.length is None and not no_body:
            if known_length is not None:
                self.length = known_length
                send_header("Content-Length", known_length)
            elif self.request.http11 and not self.head:
                self.chunked = True
                send_header("Transfer-Encoding", "chunked")
            else:
                self.keep = False
        if self.request.body.will_close() or self.connection.server.draining:
            self.keep = False
        if not self.keep:
            send_header("Connection", "close")
        elif not self.request.http11:
            send_header("Connection", "keep-alive")
        return handler.end_headers(dated)

    def send_file(self, wrapper):
        """Send a file answer with ``sendfile``; False to fall back to reading it."""
        filelike = wrapper.filelike
        try:
            fd = filelike.fileno()
            size = os.fstat(fd).st_size
            offset = filelike.tell()
        except (AttributeError, OSError, ValueError):
            return False
        self.write(b"")     # the headers
        if self.head or self.length is None or self.chunked:
            if not self.head:
                for data in wrapper:
                    self.write(data)
            return True
        count = min(self.length, size - offset)
        if count > 0:
            # what was really sent: a file cut short meanwhile must not pass
            # for a complete answer (run() then closes the connection)
            self.sent += self.connection.sendfile(filelike, offset, count)
        return True

    def log(self):
        if not _access.isEnabledFor(logging.INFO):
            return
        environ = self.environ
        status = (self.status or "-").split(" ", 1)[0]
        # REMOTE_ADDR: the client a trusted proxy named (proxy_mode), else the peer
        _access.info("%s", access_line(environ["REMOTE_ADDR"], environ["REQUEST_METHOD"],
                                        environ["RAW_URI"], status,
                                        (time.monotonic() - self.started) * 1000))


_date_cache = [0, ""]


def http_date():
    """The Date header's value, formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return _date_cache[1]


API_PATHS = (b"/cgi-bin/api", b"/api")
PAGE_PATHS = (b"/cgi-bin/p", b"/p")


def refusal_body(exc):
    """(Content-Type, body) of a refusal, in the shape the client of its path reads.

    Flyton's call_server reads the API's JSON even on an error and a browser
    shows a page, so a request refused here answers as the Application's own
    400s do; anything else gets plain text.
    """
    reason = exc.reason
    if exc.path in API_PATHS:
        server = {"method": "", "allow": 0, "msg": reason, "err": reason, "server_ver": release.version}
        return "application/json", json.dumps({"server": server}).encode()
    if exc.path in PAGE_PATHS:
        text = html.escape(reason)
        page = ("<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Bad request</title></head>"
                f"<body><h1>Bad request</h1><p>{text}</p></body></html>\n")
        return "text/html; charset=utf-8", page.encode()
    return "text/plain; charset=utf-8", f"{reason}\n".encode()

