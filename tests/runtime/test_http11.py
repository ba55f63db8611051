"""The HTTP/1.1 protocol layer (inphms/httpserver/) against the real server.

Raw sockets, so the tests control every byte: keep-alive and HTTP/1.0,
pipelining, HEAD, chunked request bodies, lazy ``100 Continue``, unread
bodies, refused heads, proxy headers spelled with underscores, idle and
slow clients, large files (``sendfile``), the drain of a graceful stop, the
connection cap and the access log.

Most tests share one server (module scope) running a small addon
(tests/support/http11.py): ``/lib/small.txt``, a 5 MB ``/lib/big.bin`` and public APIs that echo
their input, say where the request came from, or sleep.
"""
import hashlib
import json
import os
import signal
import socket
import threading
import time

import pytest

from tests.support.http11 import BIG_SIZE, SMALL, WAIT, Wire, req, start_server
from tests.support.server import ROOT

LIMIT_REQUEST = 1000
KICDEV = os.path.join(ROOT, "inphms", "addons", "web", "client", "lib", "kicdev.server.js")
LOGIN_BODY = json.dumps({"info": {}, "input": {"u": "x", "p": "y"}}).encode()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("h11"), proxy_mode=1,
                          limit_request=LIMIT_REQUEST)
    yield server
    server.stop()


# -- a raw client ----------------------------------------------------------

def post_json(path, body, headers=()):
    return req("POST", path, [("Content-Type", "application/json"),
                              ("Content-Length", len(body))] + list(headers), body)


def chunked(parts, extension=True, trailer=True):
    """``parts`` as a chunked body, the first chunk with an extension, a trailer at the end."""
    out = b""
    for number, part in enumerate(parts):
        ext = b";note=first" if extension and number == 0 else b""
        out += b"%x%s\r\n%s\r\n" % (len(part), ext, part)
    out += b"0\r\n"
    if trailer:
        out += b"X-Checksum: whatever\r\n"
    return out + b"\r\n"


def kicdev():
    with open(KICDEV, "rb") as handle:
        return handle.read()


def assert_serves(server):
    """A fresh connection still gets a complete answer."""
    with Wire(server.port) as wire:
        wire.send(req("GET", "/lib/small.txt"))
        answer = wire.answer()
    assert (answer.status, answer.body) == (200, SMALL)


# -- keep-alive ------------------------------------------------------------
def test_two_then_twenty_requests_on_one_connection(srv):
    js = kicdev()
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/kicdev.server.js"))
        first = wire.answer()
        assert (first.status, first.body) == (200, js)
        assert int(first.headers["content-length"]) == len(js)
        assert not first.closes
        wire.send(req("GET", "/"))
        second = wire.answer()
        assert second.status == 302 and second.headers["location"].endswith("/pages/login/")
        for number in range(20):
            path = "/lib/kicdev.server.js" if number % 2 else "/"
            wire.send(req("GET", path))
            answer = wire.answer()
            assert answer.status == (200 if number % 2 else 302), number
            assert not answer.closes, number
            if number % 2:
                assert answer.body == js
        assert wire.idle(0.3)       # kept open, nothing extra sent


# Each of these gets its answer, which says the connection closes, and then it does.
CLOSING_REQUESTS = {
    "connection close from the client": req("GET", "/lib/small.txt", [("Connection", "close")]),
    "HTTP/1.0 without keep-alive": req("GET", "/lib/small.txt", version="HTTP/1.0", host=False),
    # a static file never reads the body: the final answer comes at once,
    # without "100 Continue" (the body was never sent, so nothing on the wire
    # may be taken for the next request)
    "expect 100-continue, body never read": req("POST", "/lib/small.txt", [
        ("Content-Length", 10), ("Expect", "100-continue")]),
}


@pytest.mark.parametrize("request_bytes", CLOSING_REQUESTS.values(), ids=CLOSING_REQUESTS.keys())
def test_the_connection_closes_after_the_answer(srv, request_bytes):
    with Wire(srv.port) as wire:
        wire.send(request_bytes)
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)
        assert answer.closes
        assert wire.closed()


def test_http10_with_keep_alive_stays_open(srv):
    with Wire(srv.port) as wire:
        for _ in range(3):
            wire.send(req("GET", "/lib/small.txt", [("Connection", "keep-alive")],
                          version="HTTP/1.0"))
            answer = wire.answer()
            assert (answer.status, answer.body) == (200, SMALL)
            assert answer.headers["connection"].lower() == "keep-alive"
        assert wire.idle(0.3)


def test_a_304_keeps_the_connection(srv):
    with Wire(srv.port) as wire:
        for path in ("/lib/small.txt", "/lib/big.bin"):
            wire.send(req("GET", path))
            etag = wire.answer().headers["etag"]
            wire.send(req("GET", path, [("If-None-Match", etag)]))
            answer = wire.answer()
            assert answer.status == 304 and not answer.closes
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL


# -- pipelining and HEAD -----------------------------------------------------
def test_pipelined_requests_are_answered_in_order(srv):
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/kicdev.server.js") + req("GET", "/lib/small.txt")
                  + req("GET", "/nothing-here") + req("HEAD", "/lib/small.txt"))
        answers = [wire.answer(), wire.answer(), wire.answer(), wire.answer(head=True)]
        assert [a.status for a in answers] == [200, 200, 404, 200]
        assert answers[0].body == kicdev()
        assert answers[1].body == SMALL
        assert answers[2].body == b"not found\n"
        assert int(answers[3].headers["content-length"]) == len(SMALL)
        assert wire.idle(0.3)


def test_bare_line_feeds_are_refused_not_taken_for_line_ends(srv):
    # RFC 9112 2.2 lets a server refuse LF alone (it MAY take it as a line
    # end): taken, a head of bare LFs and a pipelined CRLF request may be
    # split differently by a proxy in front and by us
    with Wire(srv.port) as wire:
        wire.send(b"GET /lib/small.txt HTTP/1.1\nHost: test\n\n" + req("GET", "/lib/kicdev.server.js"))
        answer = wire.answer()
        assert answer.status == 400 and answer.closes
        assert wire.closed()


def test_head_has_the_length_and_no_body(srv):
    with Wire(srv.port) as wire:
        for path, size in (("/lib/kicdev.server.js", len(kicdev())), ("/lib/big.bin", BIG_SIZE)):
            wire.send(req("HEAD", path))
            answer = wire.answer(head=True)
            assert answer.status == 200
            assert int(answer.headers["content-length"]) == size
            assert "transfer-encoding" not in answer.headers
            assert wire.idle(0.3), "bytes after the head of a HEAD answer"
        wire.send(req("GET", "/lib/small.txt"))
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)


# -- request bodies ----------------------------------------------------------
def test_api_call_with_content_length_then_chunked_gives_the_same_answer(srv):
    path = "/cgi-bin/api?meth=api_login"
    with Wire(srv.port) as wire:
        wire.send(post_json(path, LOGIN_BODY))
        plain = wire.answer()
        assert plain.status == 200
        server = plain.json()["server"]
        assert server["method"] == "api_login"
        assert (server["allow"], server["msg"]) == (0, "wrong user or password")
        parts = [LOGIN_BODY[:7], LOGIN_BODY[7:20], LOGIN_BODY[20:]]
        wire.send(req("POST", path, [("Content-Type", "application/json"),
                                     ("Transfer-Encoding", "chunked")], chunked(parts)))
        by_chunks = wire.answer()
        assert by_chunks.status == 200 and not by_chunks.closes
        assert by_chunks.json() == plain.json()
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL


def test_chunked_body_reaches_the_application_whole(srv):
    # api_login answers the same to an empty body: the echo shows every byte came through
    text = "ü-" * 100
    body = json.dumps({"info": {}, "input": {"text": text}}).encode()
    parts = [body[i:i + 37] for i in range(0, len(body), 37)]
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/cgi-bin/api?meth=api_h11_echo",
                      [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                      chunked(parts)))
        answer = wire.answer()
        assert answer.status == 200
        assert answer.json()["server"]["got"] == {"text": text}
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL


def test_a_broken_chunked_body_ends_the_connection(srv):
    # what follows a chunk size that is not hex must never be read as a request
    smuggled = req("GET", "/lib/small.txt")
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/cgi-bin/api?meth=api_h11_echo",
                      [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                      b"zz\r\n0\r\n\r\n" + smuggled))
        try:
            answer = wire.answer()
            assert answer.status >= 400
            assert wire.closed(), "the connection went on after a broken body"
        except (EOFError, ConnectionResetError):
            pass        # closed without an answer: fine too
    assert_serves(srv)


def test_expect_100_continue_comes_when_the_application_reads(srv):
    body = json.dumps({"info": {}, "input": {"k": "v"}}).encode()
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/cgi-bin/api?meth=api_h11_echo",
                      [("Content-Type", "application/json"), ("Content-Length", len(body)),
                       ("Expect", "100-continue")]))
        interim = wire.answer()
        assert (interim.status, interim.reason) == (100, "Continue")
        assert wire.idle(0.3), "the final answer came before the body"
        wire.send(body)
        final = wire.answer()
        assert final.status == 200
        assert final.json()["server"]["got"] == {"k": "v"}
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL


def test_oversize_body_with_expect_gets_413_without_continue(srv):
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/cgi-bin/api?meth=api_h11_echo",
                      [("Content-Type", "application/json"),
                       ("Content-Length", LIMIT_REQUEST * 5), ("Expect", "100-continue")]))
        answer = wire.answer()
        assert answer.status == 413, answer.head
        server = answer.json()["server"]
        assert server["msg"] == "request body too large" and server["limit"] == LIMIT_REQUEST
        assert answer.closes
        assert wire.closed()
    assert_serves(srv)


def test_oversize_body_sent_anyway_gets_413_and_is_skipped(srv):
    body = json.dumps({"info": {}, "input": {"x": "y" * (LIMIT_REQUEST * 3)}}).encode()
    with Wire(srv.port) as wire:
        wire.send(post_json("/cgi-bin/api?meth=api_h11_echo", body))
        answer = wire.answer()
        assert answer.status == 413
        assert answer.json()["server"]["limit"] == LIMIT_REQUEST
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL


def test_small_unread_body_is_skipped(srv):
    # read as the start of the next request, "12345 789" would make it a 400
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/lib/small.txt", [("Content-Length", 10)], b"12345 789\n"))
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)
        assert not answer.closes
        wire.send(req("GET", "/lib/kicdev.server.js"))
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, kicdev())


def test_big_unread_body_is_answered_then_the_connection_closes(srv):
    # the body is made of requests: read as requests, they would be answered
    fake = req("GET", "/lib/kicdev.server.js")
    body = fake * (1024 * 1024 // len(fake))
    wire = Wire(srv.port)

    def send():
        try:
            wire.send(req("GET", "/lib/small.txt", [("Content-Length", len(body))]) + body)
        except OSError:
            pass        # the server may close before it all went

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)
        assert answer.closes
        assert wire.closed(WAIT)
        assert b"HTTP/1.1" not in wire.buf
    finally:
        wire.close()
        sender.join(WAIT)
    assert_serves(srv)


# -- refused requests --------------------------------------------------------
MANY_HEADERS = req("GET", "/lib/small.txt", [(f"X-H{i}", "v") for i in range(101)])
BIG_HEADERS = req("GET", "/lib/small.txt", [(f"X-Big{i}", "v" * 7000) for i in range(10)])
BAD_REQUESTS = {
    "garbage": (b"GARBAGE\r\n\r\n", 400),
    "http2": (req("GET", "/", version="HTTP/2.0"), 505),
    "long-line": (req("GET", "/lib/" + "a" * 9000), 414),
    "long-line-unfinished": (b"GET /lib/" + b"a" * 9000, 414),
    "101-headers": (MANY_HEADERS, 431),
    "70KB-headers": (BIG_HEADERS, 431),
    "no-colon": (b"GET / HTTP/1.1\r\nHost: test\r\nNoColonHere\r\n\r\n", 400),
    "space-before-colon": (b"GET / HTTP/1.1\r\nHost : test\r\n\r\n", 400),
    "obs-fold": (b"GET / HTTP/1.1\r\nHost: test\r\nX-A: a\r\n  folded\r\n\r\n", 400),
    "length-and-chunked": (req("POST", "/lib/small.txt", [("Content-Length", 5),
                                                           ("Transfer-Encoding", "chunked")],
                               b"0\r\n\r\n"), 400),
    # RFC 9112 6.3: chunked not the final coding: 400 and close
    "gzip-coding": (req("POST", "/lib/small.txt", [("Transfer-Encoding", "gzip")]), 400),
    "gzip-then-chunked": (req("POST", "/lib/small.txt", [("Transfer-Encoding", "gzip, chunked")],
                              b"0\r\n\r\n"), 501),
    # RFC 9110 8.6 lets a server refuse a repeated Content-Length even when the
    # values agree; llhttp does, and so does a strict proxy in front
    "same-length-twice": (req("POST", "/lib/small.txt", [("Content-Length", 4),
                                                          ("Content-Length", 4)], b"abcd"), 400),
    "length-not-a-number": (req("POST", "/lib/small.txt", [("Content-Length", "ten")]), 400),
    "length-negative": (req("POST", "/lib/small.txt", [("Content-Length", "-1")]), 400),
    "length-not-ascii": (req("POST", "/lib/small.txt", [("Content-Length", "\xb2")]), 400),
    "two-lengths": (req("POST", "/lib/small.txt", [("Content-Length", 3), ("Content-Length", 4)],
                        b"abcd"), 400),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_requests_are_refused_and_closed(srv, name):
    raw, status = BAD_REQUESTS[name]
    with Wire(srv.port) as wire:
        wire.send(raw)
        answer = wire.answer()
        assert answer.status == status, answer.head
        assert answer.closes
        assert wire.closed()
    assert_serves(srv)


# -- headers with underscores ------------------------------------------------
def where(srv, headers):
    with Wire(srv.port) as wire:
        wire.send(post_json("/cgi-bin/api?meth=api_h11_where", b"{}", headers))
        answer = wire.answer()
    assert answer.status == 200
    return answer.json()["server"]


def test_underscore_header_never_passes_for_a_dash_header(srv):
    # proxy_mode is on: X-Forwarded-For is trusted, in the app and in the log ...
    server = where(srv, [("X-Forwarded-For", "203.0.113.7")])
    assert server["remote"] == "203.0.113.7"
    srv.wait_log("203.0.113.7 POST /cgi-bin/api?meth=api_h11_where 200", timeout=WAIT)
    # ... X_Forwarded_For would be the same environ key: it must be dropped
    server = where(srv, [("X_Forwarded_For", "6.6.6.6"), ("X-Trace", "underscore-probe")])
    assert server["remote"] == "127.0.0.1"
    assert server["keys"] == []
    log = srv.wait_log("127.0.0.1 POST /cgi-bin/api?meth=api_h11_where 200", timeout=WAIT)
    assert "6.6.6.6" not in log


# -- idle, broken and slow clients -------------------------------------------
def test_silent_and_vanishing_clients_do_not_block_others(srv):
    silent = [socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) for _ in range(5)]
    halves = []
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
        sock.sendall(b"GET /lib/small.txt HTTP/1.1\r\nHo")
        halves.append(sock)
    try:
        time.sleep(0.3)
        for sock in halves:
            sock.close()       # went away mid-request
        started = time.monotonic()
        assert_serves(srv)
        assert time.monotonic() - started < 2
    finally:
        for sock in silent:
            sock.close()


def test_a_slow_client_sending_byte_by_byte_is_answered(srv):
    raw = req("GET", "/lib/small.txt", [("User-Agent", "slow")])
    with Wire(srv.port) as wire:
        started = time.monotonic()
        for byte in raw:
            wire.send(bytes([byte]))
            time.sleep(1.0 / len(raw))
        assert time.monotonic() - started > 0.9
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)


# -- large files ---------------------------------------------------------------
def test_large_file_comes_back_whole_then_more_requests(srv):
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/big.bin"))
        answer = wire.answer()
        assert answer.status == 200
        assert int(answer.headers["content-length"]) == BIG_SIZE
        assert hashlib.sha256(answer.body).digest() == hashlib.sha256(srv.big).digest()
        wire.send(req("GET", "/lib/big.bin", [("Range", "bytes=1000-1999")]))
        part = wire.answer()
        assert part.status == 206 and part.body == srv.big[1000:2000]
        wire.send(req("GET", "/lib/big.bin", [("Range", "bytes=-10")]))
        assert wire.answer().body == srv.big[-10:]
        wire.send(req("GET", "/lib/small.txt") + req("GET", "/lib/big.bin"))
        assert wire.answer().body == SMALL
        again = wire.answer()
        assert again.body == srv.big
        wire.send(req("GET", "/lib/kicdev.server.js"))
        assert wire.answer().body == kicdev()


def test_client_leaving_during_a_large_file_does_not_hurt(srv):
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/big.bin"))
        wire.take(1000)
    assert_serves(srv)


# -- the access log --------------------------------------------------------------
def test_access_line_has_method_path_status_and_masks_the_session(srv):
    token = "S3cr3tT0k3n" * 7
    with Wire(srv.port) as wire:
        wire.send(req("GET", f"/lib/small.txt?ses={token}&a=1"))
        assert wire.answer().status == 200
        wire.send(req("HEAD", "/lib/nope.txt"))
        assert wire.answer(head=True).status == 404
        wire.send(post_json(f"/cgi-bin/api?meth=api_login&ses={token}", LOGIN_BODY))
        assert wire.answer().status == 200
        wire.send(req("GET", f"http://test/lib/small.txt?x=1&ses={token}"))
        assert wire.answer().status == 200
    log = srv.wait_log("GET http://test/lib/small.txt?x=1&ses=*** 200 ", timeout=WAIT)
    lines = [line for line in log.splitlines() if " inphms.access: " in line]
    assert any(line.endswith("ms") and "127.0.0.1 GET /lib/small.txt?ses=***&a=1 200 " in line
               for line in lines)
    assert any("127.0.0.1 HEAD /lib/nope.txt 404 " in line for line in lines)
    assert any("127.0.0.1 POST /cgi-bin/api?meth=api_login&ses=*** 200 " in line for line in lines)
    assert token not in log


# -- servers of their own: drain, connection cap --------------------------------
def slow_call(seconds):
    return post_json("/cgi-bin/api?meth=api_h11_slow",
                     json.dumps({"info": {}, "input": {"s": seconds}}).encode())


def test_graceful_stop_closes_idle_connections_and_finishes_requests(tmp_path):
    server = start_server(tmp_path)
    try:
        idle = Wire(server.port)
        idle.send(req("GET", "/lib/small.txt"))
        assert not idle.answer().closes
        busy = Wire(server.port)
        busy.send(slow_call(1.5))
        time.sleep(0.5)         # the slow API is running
        server.signal(signal.SIGTERM)
        started = time.monotonic()
        assert idle.closed(3), "the idle kept-alive connection was not closed"
        assert time.monotonic() - started < 2
        answer = busy.answer()
        assert answer.status == 200 and answer.closes
        assert answer.json()["server"]["pad"] == "p" * 3000
        assert busy.closed()
        assert server.wait(5) == 0
        idle.close()
        busy.close()
    finally:
        server.stop()


def test_idle_kept_alive_connection_gives_its_slot_to_a_waiting_one(tmp_path):
    server = start_server(tmp_path, env={"INPHMS_MAX_HTTP_THREADS": "1"})
    try:
        with Wire(server.port) as first, Wire(server.port) as second:
            first.send(req("GET", "/lib/small.txt"))
            assert first.answer().body == SMALL
            # first now holds the only slot, idle; second waits in the kernel's queue
            second.send(req("GET", "/lib/small.txt"))
            answer = second.answer()        # WAIT seconds at most, not KEEPALIVE_IDLE
            assert (answer.status, answer.body) == (200, SMALL)
            assert first.closed()
    finally:
        server.stop()


def test_max_http_requests_runs_requests_in_turn_in_arrival_order(tmp_path):
    # one request at a time, and a slow one never lends its turn: three slow
    # calls finish one after the other, in the order they arrived; a static
    # file asked meanwhile waits its turn too
    server = start_server(tmp_path, max_http_requests=1, slow_request_ms=0)
    try:
        wires = [Wire(server.port) for _ in range(3)]
        finished = {}
        for number, wire in enumerate(wires):
            wire.send(slow_call(0.6))
            time.sleep(0.15)        # arrival order: 0, 1, 2
        late = Wire(server.port)
        late.send(req("GET", "/lib/small.txt"))

        def read(name, wire):
            answer = wire.answer()
            finished[name] = time.monotonic()
            assert answer.status == 200

        readers = [threading.Thread(target=read, args=(n, w)) for n, w in enumerate(wires)]
        readers.append(threading.Thread(target=read, args=("static", late)))
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(WAIT * 2)
        assert sorted(finished, key=finished.get) == [0, 1, 2, "static"]
        # each waited for the one before it: the gaps are about one call long
        assert finished[2] - finished[0] > 0.9
        for wire in wires + [late]:
            wire.close()
    finally:
        server.stop()


def test_a_slow_request_lends_its_turn_after_slow_request_ms(tmp_path):
    # one request at a time, but a call sleeping 2 s holds its turn for only
    # 0.2 s: a static file and a second slow call asked meanwhile run beside
    # it, and the static file does not wait for either slow call
    server = start_server(tmp_path, max_http_requests=1, slow_request_ms=200)
    try:
        first, second, late = Wire(server.port), Wire(server.port), Wire(server.port)
        first.send(slow_call(2))
        time.sleep(0.5)             # the first call has run past 0.2 s
        started = time.monotonic()
        second.send(slow_call(2))
        time.sleep(0.5)             # the second call, lent the first's turn, runs past 0.2 s too
        late.send(req("GET", "/lib/small.txt"))
        answer = late.answer()
        static_done = time.monotonic()
        assert answer.status == 200 and answer.body == SMALL
        assert static_done - started < 1.5, "the static file waited for a slow call"
        assert second.answer().status == 200
        # the second call ran beside the first, not after it (which would end at about 3.5 s)
        assert time.monotonic() - started < 3.0
        assert first.answer().status == 200
        for wire in (first, second, late):
            wire.close()
    finally:
        server.stop()


def test_a_connections_next_request_waits_behind_the_waiting_ones(tmp_path):
    # one request at a time: a client that sends two calls at once on one
    # connection does not get its second in before another client's waiting call
    server = start_server(tmp_path, max_http_requests=1, slow_request_ms=0)
    try:
        eager, other = Wire(server.port), Wire(server.port)
        eager.send(slow_call(0.5) + slow_call(0.5))
        time.sleep(0.15)        # the eager one's first call runs
        other.send(slow_call(0.5))
        finished = {}

        def read(name, wire, count):
            for number in range(count):
                assert wire.answer().status == 200
                finished[(name, number)] = time.monotonic()

        readers = [threading.Thread(target=read, args=("eager", eager, 2)),
                   threading.Thread(target=read, args=("other", other, 1))]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(WAIT * 2)
        assert sorted(finished, key=finished.get) == [("eager", 0), ("other", 0), ("eager", 1)]
        eager.close()
        other.close()
    finally:
        server.stop()
