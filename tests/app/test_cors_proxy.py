"""CORS preflight from cors_origins, and proxy_mode's trust of X-Forwarded-*."""
import json
import socket

import pytest

from tests.support.apps import copy_addons
from tests.support.client import request
from tests.support.server import read_all


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory):
    from tests.support.server import InphmsProcess
    work = tmp_path_factory.mktemp("cors")
    server = InphmsProcess(work, addons_path=copy_addons(work),
                           cors_origins="https://app.example.com", proxy_mode=1, limit_request=2048)
    server.start()
    yield server
    server.stop()


def test_preflight_for_an_allowed_origin(cors_server):
    status, headers, body = request(cors_server.port, "OPTIONS", "/cgi-bin/api?meth=api_echo",
                                    headers={"Origin": "https://app.example.com",
                                             "Access-Control-Request-Method": "POST"})
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_preflight_for_another_origin_allows_nothing(cors_server, app_server):
    for server in (cors_server, app_server):
        status, headers, _ = request(server.port, "OPTIONS", "/cgi-bin/api?meth=api_echo",
                                     headers={"Origin": "https://evil.example.net"})
        assert status == 204
        assert "Access-Control-Allow-Origin" not in headers


def test_answer_carries_the_allowed_origin(cors_server):
    status, headers, _ = request(cors_server.port, "POST", "/cgi-bin/api?meth=ping", {},
                                 headers={"Origin": "https://app.example.com"})
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_limit_request_is_configurable(cors_server):
    status, _, raw = request(cors_server.port, "POST", "/cgi-bin/api?meth=ping",
                             {"info": {}, "input": {"x": "y" * 4096}})
    assert status == 413 and json.loads(raw)["server"]["limit"] == 2048


def test_limit_request_holds_for_a_chunked_body(cors_server):
    # no Content-Length to check up front: the body is read one byte past the limit
    body = json.dumps({"info": {}, "input": {"x": "y" * 4096}}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                      for i in range(0, len(body), 1000))
    with socket.create_connection(("127.0.0.1", cors_server.port), timeout=10) as sock:
        sock.sendall(b"POST /cgi-bin/api?meth=ping HTTP/1.1\r\nHost: x\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n")
        answer = read_all(sock)
    head, _, raw = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(raw)["server"]["limit"] == 2048


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "www.example.com"}


def where(server):
    status, _, raw = request(server.port, "POST", "/cgi-bin/api?meth=api_where", {},
                             headers=FORWARDED)
    return json.loads(raw)["server"]


def test_proxy_mode_trusts_forwarded_headers(cors_server):
    server = where(cors_server)
    assert server["url"] == "https://www.example.com/"
    assert server["remote"] == "203.0.113.9"
    cors_server.wait_log("203.0.113.9 POST /cgi-bin/api?meth=api_where 200")


def test_without_proxy_mode_forwarded_headers_are_ignored(app_server):
    server = where(app_server)
    assert server["url"] == f"http://127.0.0.1:{app_server.port}/"
    assert server["remote"] == "127.0.0.1"
