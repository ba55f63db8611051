"""HTTP/1.1 on one connection: requests in, WSGI answers out, kept alive.

``Connection`` is one client: it waits for each request (closing an idle
kept-alive connection when the server drains), parses it (request line,
headers, a body of known length or chunked), and hands it to an
``Exchange``, which calls the WSGI application and writes the answer
(Content-Length when the size is known, chunked otherwise, a file through
``sendfile``) and decides whether the connection carries another request.
``Body`` is ``wsgi.input``: exactly the request's body, with a lazy
``100 Continue``.  Requests we refuse before the application sees them get a
status and ``Connection: close`` (``HTTPError``).  One access line per
request, secrets masked.

The server around it (listening socket, threads, requests in flight) is
``inphms.serving``.  Why not werkzeug's server: it closes the connection
after every answer and parses headers with the email package, which
together cost more than the work of a typical Flyton page.
"""
import email.utils
import logging
import os
import re
import socket
import sys
import time
from urllib.parse import unquote_to_bytes

from .logsetup import mask_secrets

_logger = logging.getLogger(__name__)
_access = logging.getLogger("inphms.access")

FIRST_REQUEST_WAIT = 10.0  # seconds a new connection may take to send its request
KEEPALIVE_IDLE = 60.0      # seconds an idle kept-alive connection stays open
IDLE_POLL = 0.25           # how often an idle connection looks at the drain flag (a tick)
READ_TIMEOUT = 60.0        # seconds a started request may pause between two reads

MAX_HEAD = 65536           # request line and headers together
MAX_LINE = 8190            # the request line
MAX_HEADERS = 100
RECV_SIZE = 65536
DRAIN_LIMIT = 65536        # unread body bytes skipped to keep a connection; more: close

TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
HEAD_END = re.compile(rb"\r?\n\r?\n")   # the empty line, CRLF or bare LF (RFC 9112 2.2)
NO_BODY_STATUS = ("1", "204", "304")
SERVER_LINE = "Server: inphms\r\n\r\n"
HOP_BY_HOP = ("connection", "transfer-encoding", "keep-alive", "server")


class HTTPError(Exception):
    """A request we refuse before the application sees it."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ClientGone(Exception):
    """The client closed the connection or stopped sending."""


class HeadPending(Exception):
    """Not the whole request head yet, and nothing more to read now (``fill_now``)."""


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

    def __init__(self, connection, length=None, chunked=False, expect_continue=False):
        self.connection = connection
        self.left = length or 0        # bytes left (of the body, or of the chunk)
        self.chunked = chunked
        self.done = not chunked and not self.left
        self.expect_continue = expect_continue
        self.broken = False            # a read failed: where the body ends is unknown

    def _more(self):
        """Bytes available now (at least one) or 0 at the body's end."""
        if self.expect_continue:
            self.expect_continue = False
            self.connection.send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self.chunked and not self.left and not self.done:
            self.left = self.connection.read_chunk_size()
            if not self.left:
                self.done = True
        if self.done:
            return 0
        return self.left

    def read(self, size=-1):
        try:
            return self._read(size)
        except (ClientGone, HTTPError, OSError):
            # The application may catch this and answer; the bytes after a
            # broken body must still never be taken for the next request.
            self.broken = True
            raise

    def _read(self, size):
        parts = []
        while size is None or size < 0 or size > 0:
            left = self._more()
            if not left:
                break
            want = left if size is None or size < 0 else min(size, left)
            data = self.connection.read_some(want)
            self.left -= len(data)
            if not self.chunked and not self.left:
                self.done = True
            elif self.chunked and not self.left:
                self.connection.read_chunk_end()
            parts.append(data)
            if size is not None and size >= 0:
                size -= len(data)
        return b"".join(parts)

    def readline(self, size=-1):
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            byte = self.read(1)
            if not byte:
                break
            line += byte
            if byte == b"\n":
                break
        return bytes(line)

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
        while not self.done:
            if not self.chunked and self.left > limit:
                return False
            try:
                data = self.read(min(RECV_SIZE, limit + 1))
            except (ClientGone, HTTPError, OSError):
                return False
            if not data:
                break
            limit -= len(data)
            if limit < 0:
                return False
        return True

    def will_close(self):
        """True when, unread as it is now, this body will end the connection.

        Decided with the answer's headers so the answer can say
        ``Connection: close``.  A client waiting for "100 Continue" gets a
        final answer instead, and never the "100" after it.
        """
        if self.expect_continue:
            self.expect_continue = False
            return True
        if self.broken:
            return True
        return not self.done and not self.chunked and self.left > DRAIN_LIMIT


class Connection:
    """One client connection and the requests it sends."""

    def __init__(self, server, sock, address):
        self.server = server
        self.sock = sock
        self.address = address
        self.client = address[0] if isinstance(address, tuple) and address else "-"
        self.buffer = b""
        self.requests_seen = 0
        # in the request pool (inphms.httppool): when it closes while waiting,
        # the head's bytes at its last wait, whether the poller knows its fd,
        # whether it counts a request in flight
        self.deadline = 0.0
        self.waited_bytes = 0
        self.registered = False
        self.in_flight = False
        # Threaded, the socket is blocking with kernel timeouts (see
        # serving.set_kernel_timeouts): a read or a write is one system call.
        # Evented, gevent's socket waits in its hub with the socket's timeout.
        self.kernel_timeouts = server.kernel_timeouts

    # -- reading --------------------------------------------------------------
    def fill(self):
        """Read more of the request; socket.timeout after READ_TIMEOUT s without a byte."""
        if not self.recv_by_ticks(time.monotonic() + READ_TIMEOUT - IDLE_POLL):
            raise socket.timeout("timed out")

    def recv_by_ticks(self, deadline, stop=None):
        """recv() into the buffer, tried again at each tick; False once past deadline or stop().

        A tick is a read that gives up without a byte: SO_RCVTIMEO on the
        threaded server's blocking sockets, the socket's timeout under gevent.
        """
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except (BlockingIOError, socket.timeout):
                if (stop is not None and stop()) or time.monotonic() >= deadline:
                    return False
                continue
            if not data:
                raise ClientGone()
            self.buffer += data
            return True

    def fill_now(self):
        """Read what has arrived, without waiting; HeadPending if nothing has.

        The request pool reads heads this way, so a client that sends its
        head slowly waits in the poller rather than in one of the few
        request threads.
        """
        try:
            data = self.sock.recv(RECV_SIZE, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            raise HeadPending() from None
        if not data:
            raise ClientGone()
        self.buffer += data

    def read_some(self, most):
        if not self.buffer:
            self.fill()
        data, self.buffer = self.buffer[:most], self.buffer[most:]
        return data

    def read_line(self, limit):
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line, self.buffer = self.buffer[:end + 1], self.buffer[end + 1:]
                return line
            if len(self.buffer) > limit:
                raise HTTPError(400, "Bad Request: line too long")
            self.fill()

    def read_chunk_size(self):
        line = self.read_line(1024).strip()
        size = line.split(b";", 1)[0].strip()
        if not size or not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size):
            raise ClientGone()      # a broken body: nothing sensible to answer
        size = int(size, 16)
        if not size:
            for _ in range(MAX_HEADERS + 1):            # trailers: ignored, but not endless
                if not self.read_line(MAX_LINE).strip():
                    return size
            raise HTTPError(431, "Request Header Fields Too Large")
        return size

    def read_chunk_end(self):
        if self.read_line(16).strip():
            raise ClientGone()

    def read_head(self, fill=None):
        """The request line and header lines (bytes), without the empty line.

        ``fill`` reads more when the head is not whole yet: ``self.fill`` by
        default, which waits for the client.
        """
        fill = fill or self.fill
        start = 0
        while True:
            # one empty line before a request is tolerated (RFC 9112 2.2)
            if self.buffer[:2] == b"\r\n" and start == 0:
                self.buffer = self.buffer[2:]
            # The first empty line ends the head, whichever line ends it uses:
            # a head of bare LFs followed by a pipelined CRLF request must not
            # run on to that request's empty line.
            end = HEAD_END.search(self.buffer, start)
            if end:
                head, self.buffer = self.buffer[:end.start()], self.buffer[end.end():]
                self.check_head_size(head.find(b"\n"), len(head))
                return [line.rstrip(b"\r") for line in head.split(b"\n")]
            self.check_head_size(self.buffer.find(b"\n"), len(self.buffer))
            start = max(0, len(self.buffer) - 3)
            fill()

    @staticmethod
    def check_head_size(first_line_end, size):
        """Refuse a request line or a head over its limit, ended yet or not.

        Checked on complete heads too: a client that sends the whole head in
        one packet must meet the same limits as one that sends it slowly.
        """
        if (first_line_end < 0 and size > MAX_LINE) or first_line_end > MAX_LINE + 1:
            raise HTTPError(414, "URI Too Long")
        if size > MAX_HEAD:
            raise HTTPError(431, "Request Header Fields Too Large")

    def wait_for_request(self):
        """Wait until the client sends something; False to close instead.

        A new connection gets up to FIRST_REQUEST_WAIT seconds for its first
        request even while the server drains: its client connected before the
        stop and is about to send.  A kept-alive connection that is idle when
        the server drains is closed rather than reused, and so is one when a
        new connection waits for its slot (INPHMS_MAX_HTTP_THREADS).
        """
        first = self.requests_seen == 0
        if not first:
            # Let the other connections run first: a client that sends its next
            # request at once would otherwise keep the GIL (or, evented, the
            # hub) and starve the others, which shows as a long p99.
            time.sleep(0)
        if self.buffer:
            return True
        deadline = time.monotonic() + (FIRST_REQUEST_WAIT if first else KEEPALIVE_IDLE)
        stop = None if first else self.should_close
        if self.kernel_timeouts:
            return self.recv_by_ticks(deadline, stop)
        # Evented: the tick is a short timeout of gevent's socket, which only
        # sets an attribute (gevent's poll() built new watchers on every call).
        self.sock.settimeout(IDLE_POLL)
        try:
            return self.recv_by_ticks(deadline, stop)
        finally:
            self.sock.settimeout(READ_TIMEOUT)

    def should_close(self):
        """An idle kept-alive connection closes when the server drains or wants its slot."""
        return self.server.draining or self.server.give_up_slot()

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
                if not self.handle_one():
                    break
        except (ClientGone, socket.timeout, ConnectionError):
            pass
        except OSError as exc:
            _logger.debug("connection from %s: %s", self.client, exc)
        finally:
            self.close()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.sock.close()

    def handle_one(self):
        """Read and serve one request; True when the connection may carry another."""
        self.requests_seen += 1
        # in flight from its first byte: a reload must wait for a request
        # that is still arriving, as for one that runs
        self.server.busy_begin()
        try:
            try:
                head = self.read_head()
            except HTTPError as exc:
                self.refuse(exc)
                return False
            return self.handle_head(head)
        finally:
            self.server.busy_end()

    def handle_head(self, head):
        """Serve the request of this head; True when the connection may carry another."""
        try:
            request = self.parse(head)
        except HTTPError as exc:
            self.refuse(exc)
            return False
        exchange = Exchange(self, request)
        keep = exchange.run()
        exchange.log()
        return keep and not self.server.draining

    def refuse(self, exc):
        body = f"{exc.reason}\n".encode()
        self.send_raw((f"HTTP/1.1 {exc.status} {exc.reason.split(':')[0]}\r\n"
                       f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                       f"Connection: close\r\n\r\n").encode() + body)
        _logger.warning("%s: refused with %s %s", self.client, exc.status, exc.reason)

    def parse(self, head):
        """The WSGI environ and the connection facts of one request head."""
        parts = head[0].split(b" ")
        if len(parts) != 3 or not TOKEN.match(parts[0]):
            raise HTTPError(400, "Bad Request: malformed request line")
        method, target, version = parts
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            if version.startswith(b"HTTP/1."):
                version = b"HTTP/1.1"
            elif re.fullmatch(rb"HTTP/\d(\.\d)?", version):
                raise HTTPError(505, "HTTP Version Not Supported")
            else:
                raise HTTPError(400, "Bad Request: malformed request line")
        if len(head) - 1 > MAX_HEADERS:
            raise HTTPError(431, "Request Header Fields Too Large")
        server = self.server
        environ = {
            "REQUEST_METHOD": method.decode("ascii"),
            "SCRIPT_NAME": "",
            "SERVER_NAME": server.server_name,
            "SERVER_PORT": server.server_port,
            "SERVER_PROTOCOL": version.decode("ascii"),
            "REMOTE_ADDR": self.client,
            "REMOTE_PORT": str(self.address[1]) if isinstance(self.address, tuple) else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": server.multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
        }
        self.set_target(environ, target)
        for line in head[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not TOKEN.match(name):
                raise HTTPError(400, "Bad Request: malformed header")
            if b"\r" in value or b"\0" in value:     # RFC 9110 5.5: reject, never pass on
                raise HTTPError(400, "Bad Request: malformed header")
            if b"_" in name:
                continue    # X_Forwarded_For would pass for X-Forwarded-For: dropped
            key = name.upper().replace(b"-", b"_").decode("ascii")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            value = value.strip(b" \t").decode("latin-1")
            if key in environ:
                if key == "CONTENT_LENGTH" and environ[key] != value:
                    raise HTTPError(400, "Bad Request: conflicting Content-Length")
                if key != "CONTENT_LENGTH":
                    value = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
            environ[key] = value
        return Request(self, environ)

    @staticmethod
    def set_target(environ, target):
        if target.startswith(b"/"):
            path, _, query = target.partition(b"?")
        elif target.startswith((b"http://", b"https://")):
            rest = target.split(b"://", 1)[1]
            slash = rest.find(b"/")
            path, _, query = (rest[slash:] if slash >= 0 else b"/").partition(b"?")
        elif target == b"*":
            path, query = b"*", b""
        else:
            raise HTTPError(400, "Bad Request: malformed request target")
        path = path.partition(b"#")[0]
        environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
        environ["QUERY_STRING"] = query.decode("latin-1")
        environ["REQUEST_URI"] = environ["RAW_URI"] = target.decode("latin-1")


class Request:
    """What the parser learned of one request: its environ and how its body comes."""

    def __init__(self, connection, environ):
        self.environ = environ
        version = environ["SERVER_PROTOCOL"]
        tokens = environ.get("HTTP_CONNECTION", "").lower()
        if version == "HTTP/1.1":
            self.keep_alive = "close" not in tokens
        else:
            self.keep_alive = "keep-alive" in tokens
        self.http11 = version == "HTTP/1.1"
        coding = environ.pop("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH", "")
        if coding:
            if length:
                raise HTTPError(400, "Bad Request: Content-Length with Transfer-Encoding")
            if coding.replace(" ", "") != "chunked":
                raise HTTPError(501, "Not Implemented: transfer coding")
            body = Body(connection, chunked=True)
        else:
            # isdigit() alone takes "²" (latin-1) for a digit that int() refuses
            if length and not (length.isascii() and length.isdigit()):
                raise HTTPError(400, "Bad Request: malformed Content-Length")
            body = Body(connection, int(length or 0))
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and self.http11:
            body.expect_continue = not body.done
        environ["wsgi.input"] = body
        self.body = body


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
        """The status line and headers; decides length, chunking and keep-alive."""
        status = self.status
        lines = [f"HTTP/1.1 {status}\r\n"]
        dated = False
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                self.length = int(value)
            elif lower in HOP_BY_HOP:
                continue    # ours to decide
            elif lower == "date":
                dated = True
            lines.append(f"{name}: {value}\r\n")
        no_body = self.no_body = status.startswith(NO_BODY_STATUS)
        if self.length is None and not no_body:
            if known_length is not None:
                self.length = known_length
                lines.append(f"Content-Length: {known_length}\r\n")
            elif self.request.http11 and not self.head:
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                self.keep = False
        if self.request.body.will_close() or self.connection.server.draining:
            self.keep = False
        if not self.keep:
            lines.append("Connection: close\r\n")
        elif not self.request.http11:
            lines.append("Connection: keep-alive\r\n")
        if not dated:
            lines.append(f"Date: {http_date()}\r\n")
        lines.append(SERVER_LINE)
        return "".join(lines).encode("latin-1")

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
        _access.info("%s %s %s %s %.1fms", environ["REMOTE_ADDR"], environ["REQUEST_METHOD"],
                     mask_secrets(environ["RAW_URI"]), status, (time.monotonic() - self.started) * 1000)


_date_cache = [0, ""]


def http_date():
    """The Date header's value, formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return _date_cache[1]
