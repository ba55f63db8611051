"""Strict parsing at the edge: RFC 9112's MUSTs against the real server.

Each case is a request-smuggling building block or a strictness rule a
lenient server breaks (the ones found by probing inphms's earlier
hand-written parser): the server answers as RFC 9112 says, which for
framing errors is 400 and close, and the bytes after a refused request
are never served as a request of their own.  An addon of this module
reflects what the application saw, so a case can also show what did not
reach it.

The corpus of raw requests under ``requests/valid`` and
``requests/invalid`` runs through one parametrized test.
"""
import json
import os
import pathlib
import re

import pytest

from tests.support.http11 import SMALL, Wire, make_addon, req
from tests.support.server import InphmsProcess

HERE = pathlib.Path(__file__).parent
CORPUS = HERE / "requests"

ENV_API = '''
from inphms.http import current_request
from tools.kicapi import *

public = 1


def api_h11s_env(data):
    environ = current_request().httprequest.environ
    api_ok({"host": environ.get("HTTP_HOST"), "path": environ["PATH_INFO"],
            "query": environ["QUERY_STRING"], "length": environ.get("CONTENT_LENGTH"),
            "keys": sorted(k for k in environ if k.startswith("HTTP_")),
            "input": data["post"]["input"]})
'''


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("h11strict")
    addons = os.path.join(str(workdir), "addons")
    os.makedirs(addons)
    make_addon(addons)
    with open(os.path.join(addons, "h11", "server", "apis", "api", "api_h11s_env.py"), "w") as handle:
        handle.write(ENV_API)
    server = InphmsProcess(workdir, addons_path=addons, max_cron_threads=0)
    server.start()
    yield server
    server.stop()


def env_call(payload=None, target="/cgi-bin/api?meth=api_h11s_env", headers=(), host=True):
    body = json.dumps({"info": {}, "input": payload or {}}).encode()
    return req("POST", target, [("Content-Type", "application/json"),
                                ("Content-Length", len(body))] + list(headers), body, host=host)


def refused(srv, raw, status=400):
    """``raw`` gets exactly one answer, ``status`` with Connection: close, then the close."""
    with Wire(srv.port) as wire:
        wire.send(raw)
        answer = wire.answer()
        assert answer.status == status, answer.head
        assert answer.closes, answer.head
        assert wire.closed(), "more than one answer: bytes after the refusal were served"
    return answer


SECOND = b"GET /lib/small.txt HTTP/1.1\r\nHost: t\r\n\r\n"

# name -> raw request; each answered 400 and close, nothing after it served
FRAMING = {
    "space inside chunked": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                            b"Transfer-Encoding: ch unked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + SECOND,
    "empty Transfer-Encoding beside Content-Length": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                                     b"Transfer-Encoding:\r\nContent-Length: 5\r\n\r\n"
                                                     b"hello" + SECOND,
    "empty Content-Length": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\nContent-Length:\r\n\r\n"
                            b"hello" + SECOND,
    "trailers without the last CRLF": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + SECOND,
    "chunked on HTTP/1.0": b"POST /lib/small.txt HTTP/1.0\r\nHost: t\r\n"
                           b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                           b"5\r\nhello\r\n0\r\n\r\n" + SECOND,
    "space after the chunk size": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n" + SECOND,
    "space before the chunk size": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n" + SECOND,
    "space after the chunk data": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello \r\n0\r\n\r\n" + SECOND,
    "chunk data longer than its size": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"
                                       + SECOND,
    "bare LF inside a header hides a Content-Length": b"POST /lib/small.txt HTTP/1.1\r\nHost: t\r\n"
                                                      b"X-A: b\nContent-Length: 5\r\n\r\nhello"
                                                      + SECOND,
    "two Host headers": b"GET /lib/small.txt HTTP/1.1\r\nHost: localhost\r\n"
                        b"Host: evil.example.com\r\n\r\n" + SECOND,
    "no Host on HTTP/1.1": b"GET /lib/small.txt HTTP/1.1\r\nAccept: */*\r\n\r\n" + SECOND,
    "HTTP/1.10": b"GET /lib/small.txt HTTP/1.10\r\nHost: t\r\n\r\n" + SECOND,
    "GET *": b"GET * HTTP/1.1\r\nHost: t\r\n\r\n" + SECOND,
    "a fragment in the target": b"GET /lib/small.txt?a=1#frag HTTP/1.1\r\nHost: t\r\n\r\n" + SECOND,
    "a CR alone in the target": b"GET /lib/a\rb HTTP/1.1\r\nHost: t\r\n\r\n" + SECOND,
    "an ESC in the target": b"GET /lib/a\x1b[2Jb HTTP/1.1\r\nHost: t\r\n\r\n" + SECOND,
}


@pytest.mark.parametrize("name", list(FRAMING))
def test_framing_and_target_errors_are_refused_and_closed(srv, name):
    refused(srv, FRAMING[name])


def test_a_newer_major_version_is_505(srv):
    refused(srv, b"GET /lib/small.txt HTTP/2.0\r\nHost: t\r\n\r\n", 505)


def test_connect_is_not_served(srv):
    refused(srv, b"CONNECT evil.example.com:443 HTTP/1.1\r\nHost: evil.example.com:443\r\n\r\n", 501)


def test_http10_keep_alive_with_close_closes(srv):
    with Wire(srv.port) as wire:
        wire.send(b"GET /lib/small.txt HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")
        answer = wire.answer()
        assert (answer.status, answer.body) == (200, SMALL)
        assert answer.closes
        assert wire.closed()


def test_http10_without_host_is_served(srv):
    with Wire(srv.port) as wire:
        wire.send(b"GET /lib/small.txt HTTP/1.0\r\n\r\n")
        answer = wire.answer()
    assert (answer.status, answer.body) == (200, SMALL)


def test_the_authority_of_an_absolute_target_is_the_host(srv):
    with Wire(srv.port) as wire:
        wire.send(env_call({"x": 1}, target="http://good.example:8069/cgi-bin/api?meth=api_h11s_env",
                           headers=[("X-Probe", "1")], host=False)
                  .replace(b"\r\n\r\n", b"\r\nHost: evil.example.com\r\n\r\n", 1))
        answer = wire.answer()
    assert answer.status == 200, answer.body
    seen = answer.json()["server"]
    assert seen["host"] == "good.example:8069"
    assert seen["path"] == "/cgi-bin/api" and seen["query"] == "meth=api_h11s_env"


def test_options_star_is_not_refused_by_the_parser(srv):
    with Wire(srv.port) as wire:
        wire.send(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
        answer = wire.answer()
    assert answer.status != 400


def test_requests_before_a_refused_one_are_answered(srv):
    with Wire(srv.port) as wire:
        wire.send(SECOND + b"GET /lib/small.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SECOND)
        first = wire.answer()
        assert (first.status, first.body) == (200, SMALL)
        second = wire.answer()
        assert second.status == 400 and second.closes
        assert wire.closed()


def test_an_upgrade_is_not_granted_and_the_next_request_follows(srv):
    with Wire(srv.port) as wire:
        wire.send(b"GET /lib/small.txt HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                  b"Connection: upgrade\r\n\r\n" + SECOND)
        for _ in range(2):
            answer = wire.answer()
            assert (answer.status, answer.body) == (200, SMALL)


# -- the corpus -----------------------------------------------------------------
def decode(text):
    r"""A corpus file's bytes: its lines joined, with \r \n \t \0 and \xNN as escapes.

    Written this way every byte of a request shows in the file, and no
    editor or git setting can turn a CRLF into an LF or back.
    """
    joined = "".join(line for line in text.splitlines() if not line.startswith("#"))
    out = bytearray()
    for piece in re.split(r"(\\x[0-9a-fA-F]{2}|\\[rnt0\\])", joined):
        if re.fullmatch(r"\\x[0-9a-fA-F]{2}", piece):
            out.append(int(piece[2:], 16))
        elif piece in ("\\r", "\\n", "\\t", "\\0", "\\\\"):
            out += {"\\r": b"\r", "\\n": b"\n", "\\t": b"\t", "\\0": b"\0", "\\\\": b"\\"}[piece]
        else:
            out += piece.encode("latin-1")
    return bytes(out)


def expectation(text, key, default):
    match = re.search(rf"^# {key}: (\S+)", text, re.M)
    return match.group(1) if match else default


def corpus(kind):
    return sorted((CORPUS / kind).glob("*.http"))


@pytest.mark.parametrize("path", corpus("valid"), ids=lambda p: p.stem)
def test_valid_requests_are_served(srv, path):
    text = path.read_text("latin-1")
    answers = int(expectation(text, "answers", "1"))
    status = int(expectation(text, "status", "200"))
    with Wire(srv.port) as wire:
        wire.send(decode(text))
        for _ in range(answers):
            answer = wire.answer(head=text.startswith("HEAD") or "\nHEAD" in text)
            assert answer.status == status, (path.name, answer.head, answer.body[:200])


@pytest.mark.parametrize("path", corpus("invalid"), ids=lambda p: p.stem)
def test_invalid_requests_are_refused(srv, path):
    text = path.read_text("latin-1")
    refused(srv, decode(text), int(expectation(text, "status", "400")))
