"""The HTTP server's time limits, with short limits, on real sockets.

The server runs in this process (its limits are module constants, shortened
here to under a second) and is driven over loopback.  Each case runs three
times: with the threaded server's request pool (``max_http_requests``, the
default: waiting connections in a poller, see inphms/httpserver/pool.py), with a
thread per connection on blocking sockets with kernel timeouts, and with a
thread per connection on sockets with Python's own timeout, which is what
``--evented`` uses.
"""
import os
import socket
import time

import pytest

from inphms.httpserver import connection as http11, handler
from tests.support import inprocess

LIMIT = 0.6         # every shortened limit, in seconds
PATIENCE = 5.0      # how long a test waits for the server to close


def small_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def big_app(environ, start_response):
    block = b"x" * 65536
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(block) * 1024))])
    return (block for _ in range(1024))        # 64 MB, more than any socket buffer


def file_app(path):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(os.path.getsize(path)))])
        return environ["wsgi.file_wrapper"](open(path, "rb"))
    return app


@pytest.fixture(params=["request pool", "kernel timeouts", "socket timeout"])
def serve(request, monkeypatch):
    for module in (http11, handler):
        monkeypatch.setattr(module, "READ_TIMEOUT", LIMIT)
        monkeypatch.setattr(module, "IDLE_POLL", 0.1)
    monkeypatch.setattr(http11, "FIRST_REQUEST_WAIT", LIMIT)
    monkeypatch.setattr(http11, "KEEPALIVE_IDLE", LIMIT)
    monkeypatch.setattr(http11, "HEAD_TIMEOUT", LIMIT)
    servers = []

    def start(app):
        pooled = request.param == "request pool"
        server = inprocess.serve(app, kernel_timeouts=request.param != "socket timeout",
                                 max_requests=2 if pooled else 0)
        assert (server.pool is not None) == pooled
        servers.append(server)
        return server

    yield start
    for server in servers:
        inprocess.close(server)


def connect(server):
    return inprocess.connect(server, PATIENCE * 2)


def closed_within(sock, seconds):
    """Seconds until the server closed ``sock`` (reading what it sent), or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def read_answer(sock):
    data = b""
    while not data.endswith(b"ok"):
        data += sock.recv(4096)
    return data


def test_a_new_connection_that_sends_nothing_is_closed(serve):
    server = serve(small_app)
    with connect(server) as sock:
        took = closed_within(sock, PATIENCE)
    assert took is not None and took >= LIMIT - 0.1


def test_an_idle_kept_alive_connection_is_closed(serve):
    server = serve(small_app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_answer(sock).startswith(b"HTTP/1.1 200")
        took = closed_within(sock, PATIENCE)
    assert took is not None and took >= LIMIT - 0.1


def test_a_kept_alive_connection_serves_a_request_after_a_pause(serve):
    server = serve(small_app)
    with connect(server) as sock:
        for pause in (0, LIMIT / 2):
            time.sleep(pause)       # on purpose: the client idles several ticks, under the limit
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_answer(sock).startswith(b"HTTP/1.1 200")


def test_a_request_that_stops_half_way_is_dropped(serve):
    server = serve(small_app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")        # no empty line
        took = closed_within(sock, PATIENCE)
    assert took is not None and took >= LIMIT - 0.1
    assert server.wait_idle(PATIENCE)


def test_a_body_that_stops_half_way_is_dropped(serve):
    def reader(environ, start_response):
        environ["wsgi.input"].read()
        return small_app(environ, start_response)

    server = serve(reader)
    with connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf")
        assert closed_within(sock, PATIENCE) is not None
    assert server.wait_idle(PATIENCE)


@pytest.mark.parametrize("answer", ["written", "sendfile"])
def test_a_client_that_reads_nothing_is_dropped(serve, answer, tmp_path):
    if answer == "written":
        server = serve(big_app)
    else:
        path = tmp_path / "big.bin"
        path.write_bytes(b"y" * (64 * 1024 * 1024))
        server = serve(file_app(str(path)))
    sock = connect(server)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(12) == b"HTTP/1.1 200"     # the server is writing
        # the answer fills the buffers, the server's write waits, then gives up
        assert server.connections == 1
        assert server.wait_idle(PATIENCE + LIMIT)
    finally:
        sock.close()
