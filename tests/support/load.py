"""Crowds of slow clients and a few timed normal ones, for the load tests and
tests/bench/slow_clients.py.

``Normal`` runs normal clients in threads (GET /lib/small.txt of the addon of
tests/support/http11.py, a fresh connection per request, each timed);
``crowd`` opens many connections that trickle a request out; ``p99`` and
``limit_files_to_1024`` (a ``preexec_fn`` for the server) go with them.
"""
import resource
import select
import socket
import threading
import time

from tests.support.http11 import SMALL

NORMAL_CLIENTS = 3
ANSWER_WAIT = 5.0


class Normal:
    """Normal clients in threads: GET /lib/small.txt, a new connection each, timed."""

    def __init__(self, port):
        self.port = port
        self.samples = []       # (monotonic start, seconds or None when it failed)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(NORMAL_CLIENTS)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(ANSWER_WAIT * 2)

    def run(self):
        while not self.stop.is_set():
            started = time.monotonic()
            self.samples.append((started, self.one()))
            time.sleep(0.02)     # pacing on purpose: a client that asks again and again, not a flood

    def one(self):
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=ANSWER_WAIT) as sock:
                sock.sendall(b"GET /lib/small.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    more = sock.recv(65536)
                    if not more:
                        break
                    data += more
        except OSError:
            return None
        if not data.startswith(b"HTTP/1.1 200") or not data.endswith(SMALL):
            return None
        return time.monotonic() - started

    def between(self, start, end):
        return [took for at, took in self.samples if start <= at < end]


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def wait_connected(socks, timeout):
    """Wait (at most ``timeout`` s) until every non-blocking connect of ``socks``
    has completed or failed, so the crowd's first bytes do not go out too early."""
    poller = select.poll()
    pending = {sock.fileno(): sock for sock in socks}
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(100):
            poller.unregister(fd)
            pending.pop(fd, None)


def crowd(port, count, head, byte, every, seconds):
    """``count`` connections sending ``head``, then ``byte`` each every ``every`` s,
    for ``seconds``; returns them (still open, unless the server closed them)."""
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(sock)
    # a connect still pending after 1 s (a full backlog) is retried by the send loop below
    wait_connected(socks, 1.0)
    sent_head = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for sock in socks:
            try:
                if sock not in sent_head:
                    sock.send(head)
                    sent_head.add(sock)
                else:
                    sock.send(byte)
            except OSError:
                pass
        time.sleep(every)       # pacing on purpose: the crowd is slow by design
    return socks


def limit_files_to_1024():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
