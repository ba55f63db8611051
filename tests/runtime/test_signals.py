"""Signals sent to the real server process: TERM, INT, HUP (phoenix), QUIT."""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.support.process import LOAD_CLIENT, has_read, rss_kb
from tests.support.server import finish_request, partial_request
from tests.support.wait import port_answers, wait_for

LICENSE = "/lib/bootstrap.LICENSE"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_graceful_stop_finishes_request_in_flight(server_factory, signum):
    server = server_factory()
    sock = partial_request(server.port, LICENSE)
    has_read(server.pid, server.port)       # the server is reading its head
    server.signal(signum)
    server.wait_log("stopping gracefully")
    # the listening socket is closed: the stop is past its shutdown, and the
    # main thread is found waiting for the request in flight, not exiting
    wait_for(lambda: not port_answers(server.port), 10, "the listening socket to close")
    server.signal(signal.SIGQUIT)
    assert "in wait_requests" in server.wait_log("SIGQUIT: stacks of")
    assert server.proc.poll() is None, "exited with a request in flight"
    response = finish_request(sock)
    assert response.startswith(b"HTTP/1.1 200")
    assert response.rstrip().endswith(b"SOFTWARE.")      # the whole license came through
    assert server.wait(15) == 0
    # stopped accepting: the port is closed now
    with pytest.raises(OSError):
        server.get("/", timeout=2)


def test_second_signal_exits_at_once(server_factory):
    server = server_factory()
    sock = partial_request(server.port, LICENSE)
    has_read(server.pid, server.port)
    server.signal(signal.SIGTERM)
    server.wait_log("stopping gracefully")
    # past the shutdown (the port is closed), waiting for the request: only a second signal ends it
    wait_for(lambda: not port_answers(server.port), 10, "the listening socket to close")
    assert server.proc.poll() is None
    server.signal(signal.SIGTERM)
    assert server.wait(5) != 0
    assert "exiting at once" in server.log()
    sock.close()


def test_sigquit_dumps_every_thread(server_factory):
    server = server_factory()
    sock = partial_request(server.port, LICENSE)
    has_read(server.pid, server.port)       # the poller holds the half-sent request
    server.signal(signal.SIGQUIT)
    log = server.wait_log("SIGQUIT: stacks of")
    assert "# thread MainThread" in log
    assert "# thread inphms.service.httpd" in log
    # the request threads wait for a whole request; the one still sending
    # its request waits in the poller, not in a request thread
    assert "# thread inphms.http.request." in log
    assert "# thread inphms.http.poller" in log
    assert "in request_thread" in log
    assert server.proc.poll() is None      # SIGQUIT does not stop the server
    finish_request(sock)


def addon(root, name, libfile, text):
    folder = os.path.join(root, name)
    os.makedirs(os.path.join(folder, "client", "lib"))
    with open(os.path.join(folder, "__manifest__.py"), "w") as handle:
        handle.write(f"{{'name': '{name}', 'version': '1', 'depends': ['web']}}\n")
    with open(os.path.join(folder, "client", "lib", libfile), "w") as handle:
        handle.write(text)


def test_sighup_reexecs_same_pid_rereads_config_and_addons(server_factory, tmp_path):
    first = tmp_path / "addons1"
    second = tmp_path / "addons2"
    first.mkdir()
    second.mkdir()
    addon(str(first), "one", "one.txt", "one")
    server = server_factory(addons_path=str(first))
    pid = server.pid
    assert server.get("/lib/one.txt")[0] == 200
    assert server.get("/lib/two.txt")[0] == 404
    # a new addon dropped into a new folder, and the config pointing at it
    addon(str(second), "two", "two.txt", "two")
    text = open(server.config_path).read().replace(str(first), f"{first},{second}")
    open(server.config_path, "w").write(text)
    server.signal(signal.SIGHUP)
    server.wait_log("inphms version", count=2)
    server.wait_log("HTTP service", count=2)
    assert server.proc.poll() is None
    assert server.pid == pid
    status, _, body = server.get("/lib/two.txt")
    assert (status, body) == (200, b"two")
    assert "using the listening socket handed to this process" in server.log()


def test_three_sighups_under_load_lose_no_request(server_factory):
    server = server_factory()
    pid = server.pid
    client = subprocess.Popen([sys.executable, "-c", LOAD_CLIENT, str(server.port), "100000", "12"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for reload_number in (2, 3, 4):
        time.sleep(1.5)     # pacing on purpose: each image serves the load for a while
        server.signal(signal.SIGHUP)
        server.wait_log("HTTP service", count=reload_number, timeout=20)
    out, err = client.communicate(timeout=60)
    ok, failed = map(int, out.split())
    assert failed == 0, err
    assert ok > 100
    assert server.pid == pid
    assert server.log().count("SIGHUP received") == 3


def test_memory_soft_limit_reloads_when_idle(server_factory, tmp_path):
    # measure a fresh server, then set the soft limit a little above it and
    # grow the server past it with 100 connections in flight: it must wait
    # for them, then reload itself (same pid)
    # (no cron: its first runs would grow the server on their own; a thread
    # per connection, max_http_requests = 0, so the connections grow it)
    probe = server_factory(max_cron_threads=0, max_http_requests=0)
    fresh_kb = rss_kb(probe.pid)
    probe.stop()
    server = server_factory(limit_memory_soft=(fresh_kb + 1536) * 1024, max_cron_threads=0,
                            max_http_requests=0, logfile=str(tmp_path / "second.log"))
    pid = server.pid
    socks = [partial_request(server.port, LICENSE) for _ in range(100)]
    server.wait_log("request(s) in flight end")
    # a window, with its reason: the main loop looks at memory once a tick
    # (1 s, MAIN_LOOP_TICK); 1.5 s lets it look again with the 100 requests
    # still in flight, and a reload would log its start at once
    time.sleep(1.5)
    assert server.log().count("inphms version") == 1, "reloaded with requests in flight"
    for sock in socks:
        assert finish_request(sock).startswith(b"HTTP/1.1 200")
    log = server.wait_log("inphms version", count=2)
    assert "MB: reloading" in log
    assert server.pid == pid
    server.wait_ready()


def test_soft_limit_below_a_fresh_server_does_not_loop(server_factory):
    server = server_factory(limit_memory_soft=1024 * 1024)
    server.wait_log("memory reloads are off")
    # a window, with its reason: a soft limit still on would reload at the
    # main loop's first look (a tick is 1 s); 2.5 s is two looks and a start
    time.sleep(2.5)
    assert server.log().count("inphms version") == 1


def test_sighups_in_quick_succession_never_kill_the_server(server_factory):
    server = server_factory()
    pid = server.pid
    for _ in range(4):
        server.signal(signal.SIGHUP)
        time.sleep(0.15)    # pacing on purpose: the next SIGHUP lands mid-reload
    # a window, with its reason: the SIGHUPs may fold into fewer reloads, so
    # there is no count of starts to wait for; one reload (stop, re-exec,
    # start) takes well under a second here, and 3 s covers the last one
    time.sleep(3)
    assert server.proc.poll() is None, server.log()
    server.wait_ready()
    assert server.pid == pid
    assert server.get(LICENSE)[0] == 200
    assert server.log().count("inphms version") >= 2


# -- keep-alive clients across reloads and stops ----------------------------------
class KeepAliveClient:
    """A thread POSTing on one kept-alive connection, as an HTTP client library does.

    It opens a new connection when the server said ``Connection: close`` or
    closed the idle connection before the next request was sent (the check
    urllib3 makes before reusing one).  A request that was sent and got no
    answer is a failure.
    """

    def __init__(self, port):
        self.port = port
        self.ok = self.failed = 0
        self.errors = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def dropped(self, sock):
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def run(self):
        body = b"x" * 100
        request = (f"POST {LICENSE} HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        sock = None
        while not self.stop:
            try:
                if sock is None or self.dropped(sock):
                    if sock is not None:
                        sock.close()
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            except OSError:
                sock = None
                time.sleep(0.02)        # retry pace: between two images the port is handed over
                continue
            try:
                sock.sendall(request)
                head, closes = self.answer(sock)
            except OSError as exc:
                self.failed += 1
                self.errors.append(repr(exc))
                sock.close()
                sock = None
                continue
            self.ok += head.startswith(b"HTTP/1.1 200")
            if closes:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()

    @staticmethod
    def answer(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError("closed before the answer")
            data += more
        head, rest = data.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        while len(rest) < length:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError("closed inside the answer")
            rest += more
        return head, b"connection: close" in head.lower()


def test_keep_alive_posts_across_three_sighups_all_answered(server_factory):
    server = server_factory()
    pid = server.pid
    clients = [KeepAliveClient(server.port) for _ in range(4)]
    for client in clients:
        client.thread.start()
    for reload_number in (2, 3, 4):
        time.sleep(1.0)     # pacing on purpose: the clients post on each image for a while
        server.signal(signal.SIGHUP)
        server.wait_log("HTTP service", count=reload_number, timeout=20)
    time.sleep(0.5)         # pacing on purpose: and on the last one
    for client in clients:
        client.stop = True
        client.thread.join(15)
    failed = sum(client.failed for client in clients)
    assert failed == 0, [error for client in clients for error in client.errors]
    assert sum(client.ok for client in clients) > 100
    assert server.pid == pid


def test_a_connection_made_during_a_stop_is_answered_or_refused_never_reset(server_factory):
    server = server_factory()
    busy = partial_request(server.port, LICENSE)    # keeps the stop going for a while
    has_read(server.pid, server.port)
    outcomes = {"answered": 0, "refused": 0, "reset": 0}

    def connect_repeatedly():
        while server.proc.poll() is None:
            try:
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            except ConnectionRefusedError:
                outcomes["refused"] += 1
                time.sleep(0.01)    # retry pace
                continue
            try:
                sock.sendall(f"GET {LICENSE} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                KeepAliveClient.answer(sock)
                outcomes["answered"] += 1
            except OSError:
                outcomes["reset"] += 1
            finally:
                sock.close()

    connector = threading.Thread(target=connect_repeatedly, daemon=True)
    connector.start()
    wait_for(lambda: outcomes["answered"], 10, "the connector's first answer")
    server.signal(signal.SIGTERM)
    server.wait_log("stopping gracefully")
    # connections keep coming through the stop until the port is seen refusing
    wait_for(lambda: outcomes["refused"], 10, "a connection refused once the port closed")
    assert finish_request(busy).startswith(b"HTTP/1.1 200")
    assert server.wait(15) == 0
    connector.join(15)
    assert outcomes["reset"] == 0, outcomes
    assert outcomes["answered"] and outcomes["refused"], outcomes
