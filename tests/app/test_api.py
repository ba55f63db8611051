"""The API: /cgi-bin/api?meth=api_x against the real server."""
import concurrent.futures
import json
import socket

import pytest

from tests.support.client import api, new_session, request
from tests.support.server import read_all


@pytest.fixture(scope="module")
def ses(app_server):
    return new_session(app_server.config_path, user_id=4100, data={"cart": [1, 2]})


def test_returned_dict_keeps_json_types(app_server, ses):
    for path in ("/cgi-bin/api", "/api"):
        status, server = api(app_server.port, "api_echo", {"a": [1, {"b": None}], "h": "שלום"},
                             ses=ses, path=path)
        assert status == 200
        assert server["method"] == "api_echo" and server["allow"] == 1 and server["msg"] == "ok"
        assert server["got"] == {"a": [1, {"b": None}], "h": "שלום"}
        assert (server["n"], server["f"], server["t"], server["l"], server["z"]) == \
            (7, 1.5, "text", [1, "a"], None)
        assert server["user_id"] == 4100 and server["par"] == {"meth": "api_echo"}
        assert server["server_ver"]


def test_api_err_and_no_answer(app_server, ses):
    status, server = api(app_server.port, "api_fail", ses=ses)
    assert status == 200
    assert (server["allow"], server["msg"], server["err"], server["code"]) == (0, "nope", "nope", 7)
    status, server = api(app_server.port, "api_none", ses=ses)
    assert status == 200 and server["allow"] == 0 and server["msg"] == "no answer"


def test_session_data(app_server, ses):
    status, server = api(app_server.port, "api_who", ses=ses)
    assert server["allow"] == 1 and server["user_id"] == 4100 and server["ses_len"] == 84
    assert server["s"] == {"cart": [1, 2], "my_user_id": 4100}


def test_a_session_only_in_the_url_is_ended_as_cgi_py_does(app_server):
    # cgi.py: the session is info.ses (the tab's storage); a tab that lost it
    # but still has the token in its URL (uses) is sent out and that session ends
    uses = new_session(app_server.config_path, user_id=4101)
    body = {"info": {"ses": "", "uses": uses}, "input": {}}
    status, _, raw = request(app_server.port, "POST", "/cgi-bin/api?meth=api_who", body)
    server = json.loads(raw)["server"]
    assert status == 200 and server["allow"] == 0 and server["sact"] == "out"
    assert "user_id" not in server
    status, server = api(app_server.port, "api_who", ses=uses)
    assert server["sact"] == "out"
    assert "ended" in app_server.wait_log("(uses) but not in the tab's storage")


@pytest.mark.parametrize("token", ["", "bad", "x" * 84, None])
def test_private_api_without_session_sends_the_browser_out(app_server, token):
    status, server = api(app_server.port, "api_who", ses=token)
    assert status == 200
    assert server["allow"] == 0 and server["sact"] == "out" and "user_id" not in server


def test_public_api_and_ping_need_no_session(app_server):
    status, server = api(app_server.port, "api_pub")
    assert status == 200 and server["allow"] == 1 and server["pub"] == 1 and server["s"] == {}
    status, server = api(app_server.port, "ping")
    assert status == 200 and server["allow"] == 1


@pytest.mark.parametrize("body, status_code, msg", [
    ("{not json", 400, "bad JSON body"),
    ("[1, 2]", 400, "bad JSON body: the body must be a JSON object"),
    ('{"info": 5}', 400, "bad JSON body: info must be an object"),
    (b"\xff\xfe\x00", 400, "bad JSON body"),
])
def test_bad_json_is_400_with_a_json_body(app_server, ses, body, status_code, msg):
    status, headers, raw = request(app_server.port, "POST", "/cgi-bin/api?meth=api_echo", body)
    assert status == status_code
    assert headers["Content-Type"] == "application/json"
    server = json.loads(raw)["server"]
    assert server["allow"] == 0 and server["msg"].startswith(msg)


@pytest.mark.parametrize("query, status_code, msg", [
    ("", 400, "missing meth"),
    ("meth=", 400, "missing meth"),
    ("meth=api_nosuch", 404, "unknown method"),
    ("meth=API_ECHO", 404, "unknown method"),
    ("meth=api_echo.x", 404, "unknown method"),
    ("meth=../api_echo", 404, "unknown method"),
    ("meth=echo", 404, "unknown method"),
    ("meth=api_", 404, "unknown method"),
])
def test_missing_or_unknown_method(app_server, ses, query, status_code, msg):
    body = {"info": {"ses": ses}, "input": {}}
    status, _, raw = request(app_server.port, "POST", f"/cgi-bin/api?{query}", body)
    assert status == status_code
    assert json.loads(raw)["server"]["msg"] == msg


def test_exception_is_200_allow_0_json_with_trace_only_in_the_log(app_server, ses):
    # Flyton's call_server throws on a status other than 2xx instead of reading the answer
    status, headers, raw = request(app_server.port, "POST", "/cgi-bin/api?meth=api_boom",
                                   {"info": {"ses": ses}, "input": {}})
    assert status == 200 and headers["Content-Type"] == "application/json"
    server = json.loads(raw)["server"]
    assert server["allow"] == 0 and server["msg"] == "internal error"
    assert b"kaboom" not in raw and b"Traceback" not in raw
    assert "Traceback" in app_server.wait_log("kaboom-in-api")


def test_answers_of_concurrent_calls_never_mix(app_server, ses):
    def one(n):
        server = api(app_server.port, "api_printid", {"n": n}, ses=ses)[1]
        return server["printed"], server["n"]

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        assert list(pool.map(one, range(64))) == [(n, n) for n in range(64)]


def test_security_headers_on_api_answers(app_server):
    status, headers, _ = request(app_server.port, "POST", "/cgi-bin/api?meth=ping", {})
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_oversize_body_is_refused_before_it_is_read(app_server, ses):
    # announce 100 MB, send 1 KB: the answer must come without the rest
    with socket.create_connection(("127.0.0.1", app_server.port), timeout=10) as sock:
        sock.sendall(b"POST /cgi-bin/api?meth=api_echo HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
                     + b" " * 1024)
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    server = json.loads(body)["server"]
    assert server["allow"] == 0 and server["msg"] == "request body too large"
    assert app_server.proc.poll() is None


def test_printed_members_are_the_answer_as_cgi_py_splices_them(app_server, ses):
    status, server = api(app_server.port, "api_frag", {"u": "kic"}, ses=ses)
    assert status == 200
    assert server == {"method": "api_frag", "back": "first without a comma", "user": "kic",
                      "allow": 1, "rows": [1, 2, {"a": None}], "server_ver": server["server_ver"]}


def test_printed_text_api_ok_and_return_merge_in_their_order(app_server, ses):
    status, server = api(app_server.port, "api_mixed", ses=ses)
    assert (server["allow"], server["msg"], server["n"], server["k"], server["r"]) == (1, "ok", 2, [1], 1)
    assert server["m"] == "printed after api_ok"


def test_printed_text_that_is_not_json_is_a_clear_answer_and_a_log_line(app_server, ses):
    status, server = api(app_server.port, "api_badprint", ses=ses)
    assert status == 200 and server["allow"] == 0
    assert server["msg"] == "api_badprint printed text that is not part of a JSON answer"
    log = app_server.wait_log("api api_badprint (")
    assert "api_badprint.py): what it printed is not members of the JSON answer" in log
    assert "debug: got here" in log


def test_the_no_session_list_of_cgi_py_holds(app_server):
    # api_start_prv has no public = 1: it runs because it is in api_no_session
    status, server = api(app_server.port, "api_start_prv")
    assert status == 200 and server["allow"] == 1 and server["ses_given"] == 0
    status, server = api(app_server.port, "api_frag", {"u": "x"})
    assert server["sact"] == "out" and "user" not in server
