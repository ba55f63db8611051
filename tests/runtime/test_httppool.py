"""The request pool (inphms/httpserver/pool.py): a few threads, whole requests from one poller.

The threaded server runs in this process with a small WSGI application
whose requests record how many run at once, driven over loopback.  The
real server's side of the same rules (arrival order, lending, pipelining)
is in test_http11.py.
"""
import os
import socket
import threading
import time

import pytest

from inphms.httpserver import pool as httppool
from tests.support import inprocess, process
from tests.support.wait import wait_for

WAIT = 5.0      # seconds: the longest anything here is waited for


class Recorder:
    """A WSGI app: /slow sleeps 0.6 s, /pause 0.05 s, anything else answers at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started = []       # paths, in the order their requests began

    def __call__(self, environ, start_response):
        with self.lock:
            self.started.append(environ["PATH_INFO"])
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            # the request's own work, on purpose: a slow page holds its thread this long
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


def has_read(server, count=1):
    """Wait until the server holds ``count`` connections with everything sent to them read."""
    process.has_read(os.getpid(), server.server_address[1], count, WAIT)


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


def keep_asking(server, clients, each, after_answer=lambda: None):
    """``clients`` connections each ask /pause ``each`` times, all at once; fails on any error."""
    errors = []

    def client():
        try:
            with connect(server) as sock:
                for _ in range(each):
                    ask(sock, "/pause")
                    after_answer()
        except Exception as exc:        # reported below: an assert in a thread is lost
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 4)
    assert not errors


def test_never_more_than_size_requests_run_at_once(serve):
    server, app = serve(2)
    keep_asking(server, 8, 5)
    assert app.most == 2
    assert server.pool.threads == 2


def test_wake_ups_do_not_pile_up_while_every_thread_is_busy(serve):
    # 16 clients keep 2 threads busy (each request 50 ms) for 80 requests:
    # a wake-up queued per request with no thread idle to take it would
    # leave about one per request waiting (and the memory they hold)
    server, _ = serve(2)
    queued = []
    keep_asking(server, 16, 5, lambda: queued.append(server.pool.wakeups.qsize()))
    assert len(queued) == 80
    assert max(queued) <= server.pool.threads == 2


def test_heads_that_come_slowly_wait_in_the_poller_not_in_a_thread(serve):
    # one request thread; three clients stop half way through their heads
    server, _ = serve(1)
    halves = [connect(server) for _ in range(3)]
    for sock in halves:
        sock.sendall(b"GET /pause HTTP/1.1\r\nHost: t\r\n")
    has_read(server, 3)     # the three half heads are in the poller's hands
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
    # past slow: the pool lends a second thread, which takes the quick request
    wait_for(lambda: server.pool.threads == 2, WAIT, "the pool to lend a thread")
    with connect(server) as sock:
        ask(sock, "/")
    assert not done.is_set(), "the quick request waited for the slow one"
    assert server.pool.threads == 2
    slow_thread.join(WAIT)
    assert done.is_set()
    # the lent thread leaves at its next look (THREAD_POLL), the pool is one thread again
    wait_for(lambda: server.pool.threads == 1, httppool.THREAD_POLL + WAIT,
             "the lent thread to leave")
    slow.close()


def test_without_lending_a_slow_request_holds_the_only_thread(serve):
    server, app = serve(1, slow=0)
    slow = connect(server)
    slow_thread = threading.Thread(target=ask, args=(slow, "/slow"))
    slow_thread.start()
    wait_for(lambda: app.running == 1, WAIT, "the slow request to reach the application")
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
    has_read(server)
    assert server.connections == 1
    sock.close()
    assert server.wait_idle(WAIT)
    with connect(server) as other:
        ask(other, "/")


def busy_becomes(server, count):
    """True once the server counts ``count`` requests in flight (it counts after it answers)."""
    return wait_for(lambda: server.busy == count, WAIT)


def test_a_request_counts_in_flight_from_its_first_byte(serve):
    # a reload for memory waits for requests in flight: one still arriving counts
    server, _ = serve(1)
    with connect(server) as sock:
        has_read(server)                # accepted, nothing sent: not yet in flight
        assert server.busy == 0
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


# -- slow and bursty clients -----------------------------------------------------
def answer_of(sock):
    """The status and head of the one answer on ``sock``, or None if it closed unanswered."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            more = sock.recv(4096)
        except ConnectionResetError:
            return None
        if not more:
            return None
        data += more
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return int(head.split(" ", 2)[1]), head


def test_lending_stops_at_the_thread_cap(serve):
    app = Recorder()
    server = inprocess.serve(app, max_requests=1, slow_ms=50)
    server.pool.max_threads = 3
    try:
        socks = [connect(server) for _ in range(8)]
        for sock in socks:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        most = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            most = max(most, server.pool.threads)
            time.sleep(0.01)    # sampling pace: the pool's size, 100 looks in the second the crowd lasts
        for sock in socks:
            assert answer_of(sock)[0] == 200
            sock.close()
        # the cap's last thread is the reserve: slow routes never take it
        assert most <= 3 and app.most == 2 and server.pool.reserve == 1
    finally:
        inprocess.close(server)


def test_quick_routes_go_ahead_of_slow_ones_and_keep_the_reserve(serve):
    # one thread, lending up to 3 in all: slow routes may take 2, the last is
    # the reserve. Six slow requests wait; a quick one sent after them is
    # served before the slow ones queued ahead of it, by the reserve thread.
    server, app = serve(1, slow=0.05)
    server.pool.max_threads = 3
    assert server.pool.reserve == 1
    socks = [connect(server) for _ in range(6)]
    for sock in socks:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    deadline = time.monotonic() + WAIT
    while app.running < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    with connect(server) as sock:
        ask(sock, "/")
    started = list(app.started)
    for sock in socks:
        assert answer_of(sock)[0] == 200
        sock.close()
    assert started.index("/") <= 2, started
    assert app.most == 3        # two slow ones and the quick one, never three slow
    assert server.pool.is_slow(b"/slow") and not server.pool.is_slow(b"/")


def test_thread_cap_follows_the_address_space_limit():
    stack = 8 * 2**20
    if httppool.threading.stack_size() not in (0, stack):
        pytest.skip("a stack size other than the default")
    assert httppool.thread_cap(2, 0) == 2 + httppool.LEND_MAX
    assert httppool.thread_cap(2, 2560 * 2**20) == 2 + httppool.LEND_MAX
    assert httppool.thread_cap(2, 256 * 2**20) == 2 + 8
    assert httppool.thread_cap(2, 16 * 2**20) == 2


def test_a_thread_that_failed_to_start_is_not_counted(serve, monkeypatch):
    server, app = serve(1, slow=0.05)
    with connect(server) as sock:
        ask(sock, "/")          # the pool runs
    assert server.pool.threads == 1

    class Unstartable(threading.Thread):
        def start(self):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(httppool.threading, "Thread", Unstartable)
    socks = [connect(server) for _ in range(3)]
    for sock in socks:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    # past slow: the pool tries to lend, fails, and lowers its cap to the threads it has
    wait_for(lambda: server.pool.max_threads == 1, WAIT, "the failed lend to lower the cap")
    assert server.pool.threads == 1
    for sock in socks:      # the one thread still serves them all, in turn
        assert answer_of(sock)[0] == 200
        sock.close()
    monkeypatch.undo()
    with connect(server) as sock:
        ask(sock, "/")


def test_a_request_that_waits_for_a_thread_is_answered_never_dropped(serve, monkeypatch):
    # one thread, no lending; each request takes 0.6 s; a request waits up to
    # QUEUE_WAIT for the thread, then gets 503 + Retry-After. The time a new
    # connection has for its request (FIRST_REQUEST_WAIT) is shorter: it must
    # not close connections whose request has arrived.
    monkeypatch.setattr(httppool, "QUEUE_WAIT", 1.0)
    monkeypatch.setattr(httppool.http11, "FIRST_REQUEST_WAIT", 0.3)
    server, app = serve(1, slow=0)
    socks = [connect(server) for _ in range(12)]
    for sock in socks:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    answers = [answer_of(sock) for sock in socks]
    for sock in socks:
        sock.close()
    assert None not in answers, "a connection closed without an answer"
    statuses = [status for status, _ in answers]
    assert set(statuses) == {200, 503}
    assert statuses.count(200) >= 2
    assert all("Retry-After: " in head for status, head in answers if status == 503)


def test_slow_bodies_wait_in_the_poller_not_in_a_thread(serve):
    server, app = serve(1, slow=0)
    uploads = [connect(server) for _ in range(5)]
    for sock in uploads:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf")
    has_read(server, 5)     # the half bodies are in the poller's hands
    with connect(server) as sock:
        started = time.monotonic()
        ask(sock, "/")
        assert time.monotonic() - started < 0.5
    assert app.most == 1
    for sock in uploads:
        sock.sendall(b"-rest-")
        assert answer_of(sock)[0] == 200
        sock.close()


def trickle(sock, first, byte, seconds, every=0.05):
    """Send ``first``, then ``byte`` every ``every`` s; the seconds until the server closed."""
    sock.sendall(first)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            sock.sendall(byte)
        except OSError:
            return time.monotonic() - started
        sock.settimeout(every)
        try:
            if not sock.recv(4096):
                return time.monotonic() - started
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - started
    return None


@pytest.mark.parametrize("size", [1, 0])
def test_a_head_has_a_deadline_however_its_bytes_trickle(monkeypatch, size):
    # a slowloris client: a header byte every 50 ms keeps the pause between
    # reads short, but the whole head must arrive within HEAD_TIMEOUT
    monkeypatch.setattr(httppool.http11, "HEAD_TIMEOUT", 0.5)
    monkeypatch.setattr(httppool.http11, "IDLE_POLL", 0.05)
    server = inprocess.serve(Recorder(), max_requests=size)
    try:
        with connect(server) as sock:
            took = trickle(sock, b"GET / HTTP/1.1\r\nHost: t\r\nX-Long: ", b"a", 3.0)
        assert took is not None and 0.4 <= took < 1.5
    finally:
        inprocess.close(server)


@pytest.mark.parametrize("size", [1, 0])
def test_a_body_below_the_minimum_rate_is_dropped(monkeypatch, size):
    monkeypatch.setattr(httppool.http11, "BODY_GRACE", 0.3)
    monkeypatch.setattr(httppool.http11, "MIN_BODY_RATE", 100)      # bytes a second
    monkeypatch.setattr(httppool.http11, "IDLE_POLL", 0.05)

    def reader(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = inprocess.serve(reader, max_requests=size, body_buffer=100)
    try:
        with connect(server) as sock:       # 20 bytes a second, a body of 10,000
            took = trickle(sock, b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000\r\n\r\n",
                           b"b", 5.0)
        assert took is not None and 0.3 <= took < 2.0
    finally:
        inprocess.close(server)


@pytest.mark.parametrize("kind", ["PollSelector", "SelectSelector"])
def test_the_pool_runs_on_the_fallback_selectors(monkeypatch, kind):
    # epoll is Linux's; elsewhere selectors gives kqueue, poll or select:
    # the pool must not depend on epoll's own behaviour
    selector = getattr(httppool.selectors, kind)
    monkeypatch.setattr(httppool.selectors, "DefaultSelector", selector)
    app = Recorder()
    server = inprocess.serve(app, max_requests=2, slow_ms=0)    # no lending: 2 at most
    try:
        assert type(server.pool.watcher.selector) is selector
        half = connect(server)
        half.sendall(b"GET /pause HTTP/1.1\r\nHost: t\r\n")    # the rest later
        errors = []

        def client():
            try:
                with connect(server) as sock:
                    for _ in range(5):
                        ask(sock, "/pause")
            except Exception as exc:
                errors.append(exc)

        clients = [threading.Thread(target=client) for _ in range(6)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(WAIT * 2)
        assert not errors and app.most == 2
        half.sendall(b"\r\n")
        assert answer_of(half)[0] == 200
        half.close()
    finally:
        inprocess.close(server)


@pytest.mark.parametrize("size", [2, 0])
def test_the_server_is_werkzeugs_and_tags_its_request_threads(size):
    # Odoo's runtime shape: werkzeug's ThreadedWSGIServer with inphms's hooks; a
    # request thread says it is one (type "http") and since when it serves
    # (start_time), for whoever watches the threads (a time limit, SIGQUIT)
    from werkzeug.serving import ThreadedWSGIServer
    server = inprocess.serve(Recorder(), max_requests=size)
    try:
        assert isinstance(server, ThreadedWSGIServer)
        with connect(server) as sock:
            ask(sock, "/")
            threads = [t for t in threading.enumerate()
                       if t.name.startswith("inphms.http.request")]
            assert threads
            assert all(t.type == "http" and t.start_time <= time.time() for t in threads)
    finally:
        inprocess.close(server)
