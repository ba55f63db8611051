"""A small addon and a raw HTTP/1.1 client for tests that talk to the real server byte by byte.

``make_addon`` writes the addon ``h11`` (``/lib/small.txt``, a 5 MB
``/lib/big.bin``, public APIs that echo their input, say where the request
came from, or sleep); ``start_server`` runs a server on it; ``Wire`` is one
client connection that sends bytes and parses the answers; ``req`` builds
the bytes of one request.
"""
import json
import os
import random
import socket

from tests.support.server import InphmsProcess


WAIT = 5            # seconds: the longest any socket read of these tests waits
SMALL = b"hello from a small static file\n"
BIG_SIZE = 5 * 1024 * 1024

ECHO_API = '''
from tools.kicapi import *

public = 1


def api_h11_echo(data):
    api_ok({"got": data["post"]["input"]})
'''

WHERE_API = '''
from inphms.http import current_request
from tools.kicapi import *

public = 1


def api_h11_where(data):
    hr = current_request().httprequest
    keys = sorted(k for k in hr.environ if "FORWARD" in k.upper())
    api_ok({"remote": hr.remote_addr, "keys": keys})
'''

SLOW_API = '''
import time

from tools.kicapi import *

public = 1


def api_h11_slow(data):
    time.sleep(float(data["post"]["input"].get("s", 1)))
    api_ok({"slept": 1, "pad": "p" * 3000})
'''


def make_addon(root):
    """The addon ``h11`` under ``root``; returns the bytes of its big file."""
    folder = os.path.join(root, "h11")
    lib = os.path.join(folder, "client", "lib")
    api = os.path.join(folder, "server", "apis", "api")
    os.makedirs(lib)
    os.makedirs(api)
    with open(os.path.join(folder, "__manifest__.py"), "w") as handle:
        handle.write("{'name': 'h11', 'version': '1', 'depends': ['web']}\n")
    with open(os.path.join(lib, "small.txt"), "wb") as handle:
        handle.write(SMALL)
    big = random.Random(1111).randbytes(BIG_SIZE)
    with open(os.path.join(lib, "big.bin"), "wb") as handle:
        handle.write(big)
    for name, text in (("api_h11_echo", ECHO_API), ("api_h11_where", WHERE_API),
                       ("api_h11_slow", SLOW_API)):
        with open(os.path.join(api, f"{name}.py"), "w") as handle:
            handle.write(text)
    return big


def start_server(workdir, env=None, **options):
    addons = os.path.join(str(workdir), "addons")
    os.makedirs(addons)
    big = make_addon(addons)
    options.setdefault("max_cron_threads", 0)
    server = InphmsProcess(workdir, env=env, addons_path=addons, **options)
    server.big = big
    server.start()
    return server


class Answer:
    def __init__(self, status, reason, headers, body, head):
        self.status = status
        self.reason = reason
        self.headers = headers      # lower-case names
        self.body = body
        self.head = head            # the raw status line and headers

    def json(self):
        return json.loads(self.body)

    @property
    def closes(self):
        return "close" in self.headers.get("connection", "").lower()


class Wire:
    """One client connection: bytes out, parsed answers in."""

    def __init__(self, port, timeout=WAIT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.buf += data

    def take(self, count):
        while len(self.buf) < count:
            self.fill()
        data, self.buf = self.buf[:count], self.buf[count:]
        return data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def answer(self, head=False):
        """The next answer on the wire; ``head``: it answers a HEAD (no body)."""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        assert version == "HTTP/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers \
                else value.strip()
        status = int(status)
        if head or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", ""):
            body = self.chunked_body()
        elif "content-length" in headers:
            body = self.take(int(headers["content-length"]))
        else:
            body = self.rest()
        return Answer(status, reason, headers, body, raw)

    def chunked_body(self):
        parts = []
        while True:
            size = int(self.line().split(b";")[0], 16)
            if not size:
                while self.line():
                    pass
                return b"".join(parts)
            parts.append(self.take(size))
            assert self.take(2) == b"\r\n"

    def rest(self):
        """Everything until the server closes."""
        while True:
            try:
                self.fill()
            except EOFError:
                data, self.buf = self.buf, b""
                return data

    def closed(self, wait=2.0):
        """True when the server closes the connection within ``wait`` seconds
        with nothing more sent (left-over bytes are an error: returns False)."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(WAIT)
        if data:
            self.buf += data
            return False
        return True

    def idle(self, wait=0.5):
        """True when the server sends nothing and keeps the connection for ``wait`` s."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(WAIT)
        self.buf += data
        return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def req(method, path, headers=(), body=b"", version="HTTP/1.1", host=True):
    lines = [f"{method} {path} {version}"]
    if host:
        lines.append("Host: test")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
