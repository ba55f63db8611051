"""Static files answered by heart: the HTTP server sends a small file the
static dispatcher has served before without a WSGI call
(``Application.quick_answer``), in the poller when the request pool runs.

Its answers are the usual path's, byte for byte (Date aside); it keeps
answering while every request thread is busy; a client that reads nothing
does not stall the poller and still gets every answer, in order; a file
changed on disk is served changed; the access log names the client as the
usual path does, behind a proxy too.
"""
import os
import re
import socket
import threading
import time

import pytest

from tests.support.client import api
from tests.support.http11 import SMALL, Wire, req, start_server
from tests.support.wait import wait_for

SLOW = 3.0      # seconds the slow call holds the only request thread


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # one request thread, none lent: only the poller can answer beside a busy thread
    srv = start_server(tmp_path_factory.mktemp("quick"), max_http_requests=1, slow_request_ms=0)
    srv.lib = os.path.join(str(srv.workdir), "addons", "h11", "client", "lib")
    yield srv
    srv.stop()


def lib_file(server, name, text):
    with open(os.path.join(server.lib, name), "w") as handle:
        handle.write(text)
    return f"/lib/{name}"


def undated(answer):
    return re.sub(rb"\r\nDate: [^\r]*", b"\r\nDate: -", answer.head), answer.body


def one(port, data, head=False):
    with Wire(port) as wire:
        wire.send(data)
        return wire.answer(head=head)


VARIANTS = {
    "get": lambda p: req("GET", p),
    "get close": lambda p: req("GET", p, [("Connection", "close")]),
    "head": lambda p: req("HEAD", p),
    "http/1.0": lambda p: req("GET", p, version="HTTP/1.0", host=False),
    "http/1.0 keep-alive": lambda p: req("GET", p, [("Connection", "keep-alive")],
                                        version="HTTP/1.0"),
    "query": lambda p: req("GET", p + "?v=3&x=y"),
    "etag of another": lambda p: req("GET", p, [("If-None-Match", '"0123"')]),
    "any etag": lambda p: req("GET", p, [("If-None-Match", "*")]),
    "modified since": lambda p: req("GET", p, [("If-Modified-Since",
                                                 "Fri, 01 Jan 2100 00:00:00 GMT")]),
    "two if-none-match": lambda p: req("GET", p, [("If-None-Match", '"a"'),
                                                  ("If-None-Match", '"b"')]),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_answer_by_heart_is_the_usual_one(server, variant):
    # a file of its own: its first request takes the usual path (and is kept),
    # the same request again is answered by heart
    path = lib_file(server, f"v-{variant.replace(' ', '-').replace('/', '')}.js",
                    f"var v = '{variant}';\n")
    data = VARIANTS[variant](path)
    head = variant == "head"
    usual = one(server.port, data, head)
    again = one(server.port, data, head)
    assert usual.status in (200, 304)
    assert undated(again) == undated(usual)
    with Wire(server.port) as wire:
        wire.send(data)
        assert wire.answer(head=head).status == usual.status
        # the connection ends when the answer says so, and only then
        if usual.closes or variant == "http/1.0":
            assert wire.closed()
        else:
            assert wire.idle()


def test_a_pages_folder_and_its_index(server):
    usual = one(server.port, req("GET", "/pages/enter/"))      # not a file: the usual path
    assert usual.status == 302
    first = one(server.port, req("GET", "/pages/login/"))
    second = one(server.port, req("GET", "/pages/login/"))
    assert first.status == 200 and b"<html" in first.body.lower()
    assert undated(second) == undated(first)


def test_what_it_does_not_know_takes_the_usual_path(server):
    path = lib_file(server, "ranged.txt", "0123456789")
    assert one(server.port, req("GET", path)).body == b"0123456789"
    ranged = one(server.port, req("GET", path, [("Range", "bytes=2-4")]))
    assert (ranged.status, ranged.body) == (206, b"234")
    escaped = one(server.port, req("GET", path.replace("ranged", "r%61nged")))
    assert (escaped.status, escaped.body) == (200, b"0123456789")
    bad_query = one(server.port, req("GET", path + "?q=%ff"))
    assert bad_query.status == 400
    with_body = one(server.port, req("GET", path, [("Content-Length", "3")], b"abc"))
    assert with_body.status == 200
    assert one(server.port, req("GET", "/lib/nosuch.txt")).status == 404


def test_a_changed_file_is_served_changed(server):
    path = lib_file(server, "changing.txt", "one\n")
    assert one(server.port, req("GET", path)).body == b"one\n"
    assert one(server.port, req("GET", path)).body == b"one\n"
    lib_file(server, "changing.txt", "two, longer\n")
    assert one(server.port, req("GET", path)).body == b"two, longer\n"
    os.remove(os.path.join(server.lib, "changing.txt"))
    assert one(server.port, req("GET", path)).status == 404


def test_answered_while_every_request_thread_is_busy(server):
    assert one(server.port, req("GET", "/lib/small.txt")).body == SMALL    # kept now
    slow = {}

    def call(name, seconds):
        started = time.monotonic()
        slow[name] = api(server.port, "api_h11_slow", {"s": seconds})
        slow[name + " took"] = time.monotonic() - started

    holder = threading.Thread(target=call, args=("slow", SLOW))
    holder.start()
    time.sleep(0.5)     # on purpose: the slow call has the only thread by then
    waiter = threading.Thread(target=call, args=("echo", 0))
    waiter.start()
    took = []
    for _ in range(20):
        started = time.monotonic()
        assert one(server.port, req("GET", "/lib/small.txt")).body == SMALL
        took.append(time.monotonic() - started)
    assert holder.is_alive(), "the slow call ended before the static files were served"
    holder.join(SLOW + 10)
    waiter.join(SLOW + 10)
    assert slow["slow"][0] == 200 and slow["slow"][1]["allow"] == 1, slow
    # the other API call did wait for the thread: it was busy all along
    assert slow["echo took"] > 1.0, slow
    assert max(took) < 1.0, took


def test_a_client_that_reads_nothing_stalls_nobody_and_gets_every_answer(server):
    # answers of 200 KB: more than the kernel's socket buffers hold after a few,
    # so the poller meets a socket that takes no more
    body = bytes(range(256)) * 800
    with open(os.path.join(server.lib, "large.bin"), "wb") as handle:
        handle.write(body)
    count = 60
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    assert one(server.port, req("GET", "/lib/large.bin")).body == body     # kept now
    requests = b"".join(req("GET", f"/lib/large.bin?n={n}") for n in range(count))
    sock.sendall(requests)
    try:
        time.sleep(1.0)     # on purpose: the server has filled what the client does not read
        for _ in range(10):
            started = time.monotonic()
            assert one(server.port, req("GET", "/lib/small.txt")).body == SMALL
            assert time.monotonic() - started < 1.0
        wire = Wire.__new__(Wire)
        wire.sock, wire.buf = sock, b""
        sock.settimeout(10)
        got = [wire.answer() for _ in range(count)]
    finally:
        sock.close()
    assert [a.status for a in got] == [200] * count
    assert all(a.body == body for a in got)


def test_the_access_log_names_the_client(server):
    path = lib_file(server, "logged.txt", "x\n")
    for _ in range(2):
        one(server.port, req("GET", path + "?ses=SECRET&a=1"))
    # the line is written once the answer is out: wait for it
    wait_for(lambda: server.log().count("/lib/logged.txt") == 2, 10, "two access lines")
    lines = [line for line in server.log().splitlines() if "/lib/logged.txt" in line]
    for line in lines:
        assert "127.0.0.1 GET /lib/logged.txt?ses=***&a=1 200 " in line, line


def test_behind_a_proxy_the_log_names_the_forwarded_client(tmp_path):
    srv = start_server(tmp_path, proxy_mode=1)
    try:
        headers = [("X-Forwarded-For", "198.51.100.7, 203.0.113.9")]
        for _ in range(2):
            assert one(srv.port, req("GET", "/lib/small.txt", headers)).body == SMALL
        wait_for(lambda: srv.log().count("GET /lib/small.txt") == 2, 10, "two access lines")
        lines = [line for line in srv.log().splitlines() if "GET /lib/small.txt" in line]
        assert len(lines) == 2 and all(" 203.0.113.9 GET /lib/small.txt 200 " in line
                                       for line in lines), lines
    finally:
        srv.stop()


@pytest.mark.parametrize("mode", ["evented", "thread per connection"])
def test_by_heart_without_the_pool_and_in_order(tmp_path, mode):
    # no poller here: the connection's own thread (or greenlet) answers by heart
    options = {"args": ("--evented",)} if mode == "evented" else {"max_http_requests": 0}
    srv = start_server(tmp_path, **options)
    try:
        data = req("GET", "/lib/small.txt")
        usual, again = one(srv.port, data), one(srv.port, data)
        assert usual.body == SMALL and undated(again) == undated(usual)
        echo = req("POST", "/cgi-bin/api?meth=api_h11_echo", [("Content-Type", "application/json"),
                                                              ("Content-Length", "35")],
                   b'{"info": {}, "input": {"n": "two"}}')
        with Wire(srv.port) as wire:
            wire.send(data + echo + data)
            first, second, third = wire.answer(), wire.answer(), wire.answer()
        assert first.body == SMALL and third.body == SMALL
        assert second.json()["server"]["got"] == {"n": "two"}
    finally:
        srv.stop()
