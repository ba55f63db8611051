"""Requests off the wire: httptools (llhttp) and the rules of RFC 9112 a parser leaves to us.

``RequestParser`` is fed the bytes of one connection as they arrive and
keeps the requests they hold, in order, as ``Message`` objects: the head,
the body bytes that came so far, whether the message is complete, or the
refusal (status and reason) the bytes earned.  llhttp, in its strict
default, refuses what RFC 9112 says a server must refuse in the framing:
a Transfer-Encoding that is not exactly chunked, an empty or duplicated
Content-Length, both together, whitespace around chunk sizes, chunk data
longer than its size, a bare LF or a NUL in a header, obs-fold, malformed
trailers, versions like ``HTTP/1.10``.  ``Message.check`` adds the rules
about meaning: one Host on HTTP/1.1, the authority of an absolute target
wins over Host, no Transfer-Encoding on HTTP/1.0, ``*`` only for OPTIONS,
no fragment, and ``Connection: close`` beats ``keep-alive``.

Once the bytes are refused nothing after them is parsed: the connection
answers the requests before the refusal, then the refusal, then closes.
"""
import collections
import re
import time

import httptools

MAX_HEAD = 65536           # request line and headers together
MAX_LINE = 8190            # the request target
MAX_HEADERS = 100

HOST = re.compile(rb"[A-Za-z0-9._~!$&'()*+,;=%:\[\]-]*\Z")    # RFC 3986 host[:port]
GOOD_HOSTS_MAX = 64        # Host values seen well-formed, remembered (memory bound)

# Host values already seen to match HOST: a server is asked for a few names
# over and over, and the regular expression need not run for each request
_good_hosts = set()


def good_host(host):
    """True when ``host`` (bytes) is a well-formed host[:port]."""
    if host in _good_hosts:
        return True
    if not HOST.match(host):
        return False
    if len(_good_hosts) < GOOD_HOSTS_MAX:
        _good_hosts.add(host)
    return True


class HTTPError(Exception):
    """A request we refuse before the application sees it.

    ``path``: the target's path when it could be read, so that the refusal
    can take the shape the client of that path reads (the API's JSON).
    """

    path = b""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


# the path of the last request line in a chunk, for a target the parser refused
TARGET_PATH_RE = re.compile(rb"(?:^|\n)[A-Z]{3,7} (/[!-~]*?)(?=[? ]|[^!-~])")


def target_path(data):
    """The path of the request line the parser refused (the last one in ``data``), or b""."""
    found = TARGET_PATH_RE.findall(bytes(data[-MAX_LINE:]))
    return found[-1] if found else b""


class Message:
    """One request as its bytes came: head, body so far, complete or refused."""

    __slots__ = ("url", "headers", "fields", "head_size", "headers_done", "trailers", "method", "version",
                 "body", "received", "complete", "error", "begun", "headed", "upgrade", "length",
                 "facts")

    def __init__(self):
        self.url = b""
        self.headers = []           # (name, value) bytes, as they came
        self.fields = {}            # lower-case name -> [values]: the rules look here
        self.head_size = 0
        self.headers_done = False
        self.trailers = 0
        self.method = self.version = None
        self.body = bytearray()     # body bytes not yet read by the application
        self.received = 0           # body bytes received in all
        self.complete = False
        self.error = None           # HTTPError: this request is refused
        self.begun = time.monotonic()
        self.headed = None          # monotonic time its head was whole
        self.upgrade = False
        self.length = None          # its Content-Length, if it has one
        self.facts = None           # what check() found, once it found no fault

    def expects_continue(self):
        values = self.fields.get(b"expect")
        return bool(values) and any(value.strip(b" \t").lower() == b"100-continue"
                                    for value in values)

    def header_values(self, lower_name):
        return self.fields.get(lower_name, ())

    def check(self):
        """The request's framing and target facts, or HTTPError (RFC 9110/9112 rules).

        Once the head is whole its facts do not change: they are kept, so the
        poller's look (the answers known by heart) and the environ's share one.
        """
        if self.error:
            raise self.error
        if self.facts is None or not self.headers_done:
            self.facts = self.find_facts()
        return self.facts

    def find_facts(self):
        http11 = self.version == "1.1"
        if not http11 and self.version != "1.0":
            if self.version == "0.9":       # a request line without a version
                raise HTTPError(400, "Bad Request: malformed request line")
            raise HTTPError(505, "HTTP Version Not Supported")
        target = self.url
        if b"#" in target:
            raise HTTPError(400, "Bad Request: a fragment in the request target")
        fields = self.fields
        hosts = fields.get(b"host", ())
        if len(hosts) > 1:
            raise HTTPError(400, "Bad Request: more than one Host header")
        if http11 and not hosts:
            raise HTTPError(400, "Bad Request: no Host header")
        host = hosts[0].strip(b" \t") if hosts else None
        if host is not None and not good_host(host):
            raise HTTPError(400, "Bad Request: malformed Host header")
        if target.startswith(b"/"):
            path, _, query = target.partition(b"?")
        elif target.lower().startswith((b"http://", b"https://")):
            # absolute-form: its authority is the host, whatever Host says (RFC 9112 3.2.2)
            rest = target.split(b"://", 1)[1]
            slash = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=len(rest))
            authority, rest = rest[:slash], rest[slash:]
            if not authority or b"@" in authority or not good_host(authority):
                raise HTTPError(400, "Bad Request: malformed request target")
            host = authority
            path, _, query = rest.partition(b"?")
            path = path or b"/"
        elif target == b"*":
            if self.method != "OPTIONS":
                raise HTTPError(400, "Bad Request: '*' is a target of OPTIONS only")
            path, query = b"*", b""
        else:
            raise HTTPError(400, "Bad Request: malformed request target")
        codings = fields.get(b"transfer-encoding", ())
        if codings:
            # RFC 9112 6.1: on HTTP/1.0 the framing is faulty; llhttp already
            # refused anything on 1.1 that does not end with chunked
            if not http11:
                raise HTTPError(400, "Bad Request: Transfer-Encoding on HTTP/1.0")
            if b",".join(codings).strip(b" \t").lower() != b"chunked":
                raise HTTPError(501, "Not Implemented: transfer coding")
        connection = fields.get(b"connection")
        if connection is None:
            keep = http11
        else:
            tokens = {token.strip(b" \t").lower()
                      for value in connection for token in value.split(b",")}
            keep = b"close" not in tokens and (http11 or b"keep-alive" in tokens)
        return Facts(path, query, host, bool(codings), keep, http11)


class Facts:
    """What ``Message.check`` learned: target parts, host, framing, keep-alive."""

    __slots__ = ("path", "query", "host", "chunked", "keep_alive", "http11")

    def __init__(self, path, query, host, chunked, keep_alive, http11):
        self.path = path
        self.query = query
        self.host = host
        self.chunked = chunked
        self.keep_alive = keep_alive
        self.http11 = http11


class RequestParser:
    """The requests of one connection, parsed as their bytes arrive (httptools callbacks)."""

    def __init__(self):
        self.messages = collections.deque()     # oldest first; the first is being read or served
        self.failed = False
        self.head_bytes = 0     # bytes fed since the last whole head (httptools holds them)
        self.parser = httptools.HttpRequestParser(self)

    def feed(self, data):
        """Parse ``data``; a refusal lands on the message it belongs to and ends the parsing."""
        last = self.messages[-1] if self.messages else None
        if last is None or last.complete or not last.headers_done:
            self.head_bytes += len(data)
        self.parse(data)
        # httptools keeps a header's bytes until its end: a head that never
        # ends must not grow without bound
        if self.head_bytes > MAX_HEAD and not self.failed:
            self.fail(HTTPError(431, "Request Header Fields Too Large"))

    def parse(self, data):
        while data and not self.failed:
            try:
                self.parser.feed_data(data)
                return
            except httptools.HttpParserUpgrade as exc:
                message = self.messages[-1]
                if message.method == "CONNECT":
                    message.error = HTTPError(501, "Not Implemented: CONNECT")
                    self.failed = True
                    return
                # An Upgrade we never grant: the answer is plain HTTP/1.1 and
                # the bytes after this message are the next request.
                data = data[exc.args[0]:]
                self.parser = httptools.HttpRequestParser(self)
            except httptools.HttpParserCallbackError as exc:
                cause = exc.__context__
                self.fail(cause if isinstance(cause, HTTPError)
                          else HTTPError(400, "Bad Request: malformed request"))
            except httptools.HttpParserInvalidURLError as exc:
                error = HTTPError(400, "Bad Request: the request target holds a byte it may not "
                                       f"hold raw ({exc}): percent-encode it")
                error.path = target_path(data)
                self.fail(error)
            except httptools.HttpParserError as exc:
                self.fail(HTTPError(400, f"Bad Request: {exc}"))

    def fail(self, error):
        self.failed = True
        last = self.messages[-1] if self.messages else None
        if last is None or last.complete:
            last = Message()
            self.messages.append(last)
        last.error = error

    # -- httptools callbacks ----------------------------------------------------
    def on_message_begin(self):
        self.messages.append(Message())

    def on_url(self, url):
        message = self.messages[-1]
        message.url += url
        if len(message.url) > MAX_LINE:
            raise HTTPError(414, "URI Too Long")

    def on_header(self, name, value):
        message = self.messages[-1]
        message.head_size += len(name) + len(value) + 4
        if message.headers_done:            # a trailer: read, counted, dropped
            message.trailers += 1
            if message.trailers > MAX_HEADERS or message.head_size > MAX_HEAD:
                raise HTTPError(431, "Request Header Fields Too Large")
            return
        message.headers.append((name, value))
        lower = name.lower()
        values = message.fields.get(lower)
        if values is None:
            message.fields[lower] = [value]
        else:
            values.append(value)
        if len(message.headers) > MAX_HEADERS or message.head_size + len(message.url) > MAX_HEAD:
            raise HTTPError(431, "Request Header Fields Too Large")

    def on_headers_complete(self):
        message = self.messages[-1]
        parser = self.parser
        message.headers_done = True
        self.head_bytes = 0
        message.headed = time.monotonic()
        message.method = parser.get_method().decode("ascii")
        message.version = parser.get_http_version()
        message.upgrade = parser.should_upgrade()
        lengths = message.header_values(b"content-length")
        if lengths:         # llhttp refused any that is not one run of digits
            message.length = int(lengths[0])

    def on_body(self, body):
        message = self.messages[-1]
        message.body += body
        message.received += len(body)

    def on_message_complete(self):
        self.messages[-1].complete = True
