"""The access log cannot be forged or leak secrets, and client mistakes never log a traceback.

A real server (behind a pretend proxy: ``proxy_mode``, so the client
address comes from ``X-Forwarded-For``, a header the client writes) and
its log file: every secret query key is masked, spelled in any case or
percent-encoded; bytes outside printable ASCII are written as ``\\xNN``;
a NUL in a static path is a 404 and a broken chunked body a 400, both
without a traceback.
"""
import pytest

from inphms.httpserver.accesslog import SECRET_KEYS
from tests.support.http11 import SMALL, Wire, req, start_server

WAIT = 5


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("h11log"), proxy_mode=1)
    yield server
    server.stop()


def access_lines(srv, marker):
    log = srv.wait_log(marker, timeout=WAIT)
    return [line for line in log.splitlines() if " inphms.access: " in line]


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_every_secret_key_is_masked(srv, key):
    value = f"V4lue0f{key}"
    with Wire(srv.port) as wire:
        wire.send(req("GET", f"/lib/small.txt?rpage=x&{key}={value}&after={key}"))
        assert wire.answer().status == 200
    lines = access_lines(srv, f"&after={key} 200 ")
    assert any(f"/lib/small.txt?rpage=x&{key}=***&after={key} 200 " in line for line in lines)
    assert value not in srv.log()


@pytest.mark.parametrize("spelled", ["PASSWORD", "Ses", "pass%77ord", "p%61ss", "%54oken"])
def test_a_secret_key_spelled_otherwise_is_masked(srv, spelled):
    value = "N0tInTheL0g" + spelled.replace("%", "")
    with Wire(srv.port) as wire:
        wire.send(req("GET", f"/lib/small.txt?{spelled}={value}&end=1"))
        assert wire.answer().status == 200
    access_lines(srv, f"?{spelled}=***&end=1 200 ")
    assert value not in srv.log()


def test_ordinary_keys_are_kept(srv):
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/small.txt?sesx=1&page=2&ps=3"))
        assert wire.answer().status == 200
    access_lines(srv, "?sesx=1&page=2&ps=3 200 ")


def test_bytes_outside_printable_ascii_are_escaped(srv):
    # the client address comes from X-Forwarded-For (proxy_mode): a client
    # can write a tab, latin-1 bytes and a backslash there
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/small.txt?escaped=1",
                      [("X-Forwarded-For", "10.0.0.1\t\xe9\x9b[31m\\fake")]))
        assert wire.answer().body == SMALL
    lines = access_lines(srv, "?escaped=1 200 ")
    line = next(line for line in lines if "?escaped=1" in line)
    assert "10.0.0.1\\x09\\xe9\\x9b[31m\\x5cfake GET /lib/small.txt?escaped=1 200 " in line
    log = open(srv.logfile, "rb").read()
    assert b"\t\xe9" not in log and b"\xc3\xa9" not in log


@pytest.mark.parametrize("target", [b"/lib/x\x1b[2Jforged", b"/lib/x\rforged"])
def test_control_bytes_in_the_target_are_refused_and_never_logged(srv, target):
    with Wire(srv.port) as wire:
        wire.send(b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert wire.answer().status == 400
    srv.wait_log("refused with 400", timeout=WAIT)
    log = open(srv.logfile, "rb").read()
    assert b"forged" not in log and b"\x1b" not in log


def test_a_nul_in_a_static_path_is_404_without_a_traceback(srv):
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/small.txt%00.js"))
        assert wire.answer().status == 404
        wire.send(req("GET", "/lib/%00"))
        assert wire.answer().status == 404
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL
    access_lines(srv, "GET /lib/%00 404 ")
    assert "Traceback" not in srv.log()


@pytest.mark.parametrize("body", [b"5\r\nhel", b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n"])
def test_a_broken_chunked_body_is_400_without_a_traceback(srv, body):
    with Wire(srv.port) as wire:
        wire.send(req("POST", "/cgi-bin/api?meth=api_h11_echo",
                      [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")], body))
        if body == b"5\r\nhel":
            wire.sock.shutdown(1)       # the client leaves half way: nothing to answer
            assert wire.closed(WAIT)
        else:
            answer = wire.answer()
            assert answer.status == 400 and answer.closes
    with Wire(srv.port) as wire:
        wire.send(req("GET", "/lib/small.txt"))
        assert wire.answer().body == SMALL
    assert "Traceback" not in srv.log()
