"""The request pool (inphms/httppool.py): a few threads, waiting connections in a poller.

The threaded server runs in this process with a small WSGI application
whose requests record how many run at once, driven over loopback.  The
real server's side of the same rules (arrival order, lending, pipelining)
is in test_http11.py.
"""
import threading
import time

import pytest

from inphms.httpserver import pool as httppool
from tests.support import inprocess

WAIT = 5.0      # seconds: the longest anything here is waited for


class Recorder:
    """A WSGI app: /slow sleeps 0.6 s, /pause 0.05 s, anything else answers at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, environ, start_response):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep({"/slow": 0.6, "/pause": 0.05}.get(environ["PATH_INFO"], 0))
        finally:
            with self.lock:
                self.running -= 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


@pytest.fixture
def serve():
    servers = []

    def start(size, slow=0.0):
        app = Recorder()
        server = inprocess.serve(app, max_requests=size, slow_ms=slow * 1000)
        servers.append(server)
        return server, app

    yield start
    for server in servers:
        inprocess.close(server)


def connect(server):
    return inprocess.connect(server, WAIT)


def ask(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    data = b""
    while not data.endswith(b"ok"):
        more = sock.recv(4096)
        assert more, "the server closed the connection"
        data += more
    assert data.startswith(b"HTTP/1.1 200")


def test_never_more_than_size_requests_run_at_once(serve):
    server, app = serve(2)
    errors = []

    def client():
        try:
            with connect(server) as sock:
                for _ in range(5):
                    ask(sock, "/pause")
        except Exception as exc:        # reported below: an assert in a thread is lost
            errors.append(exc)

    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(WAIT * 2)
    assert not errors
    assert app.most == 2
    assert server.pool.threads == 2


def test_heads_that_come_slowly_wait_in_the_poller_not_in_a_thread(serve):
    # one request thread; three clients stop half way through their heads
    server, _ = serve(1)
    halves = [connect(server) for _ in range(3)]
    for sock in halves:
        sock.sendall(b"GET /pause HTTP/1.1\r\nHost: t\r\n")
    time.sleep(0.3)
    with connect(server) as sock:
        started = time.monotonic()
        ask(sock, "/")
        assert time.monotonic() - started < 1.0
    for sock in halves:      # the rest of their heads: each is answered
        sock.sendall(b"\r\n")
        data = sock.recv(4096)
        assert data.startswith(b"HTTP/1.1 200")
        sock.close()


def test_a_slow_request_lends_a_thread_until_it_ends(serve):
    server, app = serve(1, slow=0.1)
    slow = connect(server)
    done = threading.Event()
    slow_thread = threading.Thread(target=lambda: (ask(slow, "/slow"), done.set()))
    slow_thread.start()
    time.sleep(0.3)         # past slow: a second thread takes the quick request
    with connect(server) as sock:
        ask(sock, "/")
    assert not done.is_set(), "the quick request waited for the slow one"
    assert server.pool.threads == 2
    slow_thread.join(WAIT)
    assert done.is_set()
    # the lent thread leaves at its next look (THREAD_POLL), the pool is one thread again
    deadline = time.monotonic() + httppool.THREAD_POLL + WAIT
    while server.pool.threads != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.pool.threads == 1
    slow.close()


def test_without_lending_a_slow_request_holds_the_only_thread(serve):
    server, app = serve(1, slow=0)
    slow = connect(server)
    slow_thread = threading.Thread(target=ask, args=(slow, "/slow"))
    slow_thread.start()
    time.sleep(0.2)
    with connect(server) as sock:
        started = time.monotonic()
        ask(sock, "/")
        assert time.monotonic() - started > 0.2, "the quick request did not wait its turn"
    slow_thread.join(WAIT)
    assert server.pool.threads == 1 and app.most == 1
    slow.close()


def test_a_client_leaving_in_the_middle_of_its_head_frees_its_connection(serve):
    server, _ = serve(1)
    sock = connect(server)
    sock.sendall(b"GET / HTTP/1.1\r\nHo")
    time.sleep(0.2)
    assert server.connections == 1
    sock.close()
    assert server.wait_idle(WAIT)
    with connect(server) as other:
        ask(other, "/")


def busy_becomes(server, count):
    """True once the server counts ``count`` requests in flight (it counts after it answers)."""
    deadline = time.monotonic() + WAIT
    while server.busy != count and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.busy == count


def test_a_request_counts_in_flight_from_its_first_byte(serve):
    # a reload for memory waits for requests in flight: one still arriving counts
    server, _ = serve(1)
    with connect(server) as sock:
        time.sleep(0.2)
        assert server.busy == 0         # connected, nothing sent
        sock.sendall(b"GET / HTTP/1.1\r\nHo")
        assert busy_becomes(server, 1)
        sock.sendall(b"st: t\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert busy_becomes(server, 0)
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert busy_becomes(server, 1)
    # the client leaves half way: the request is no longer in flight
    assert server.wait_idle(WAIT)
    assert server.busy == 0
