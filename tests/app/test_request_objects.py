"""The request objects of the Application, in process (werkzeug's test client)."""
import threading

import pytest
from werkzeug.test import Client

from inphms import http
from inphms.dispatchers import Dispatcher, dispatchers
from tests.app.conftest import application_in_process


def test_dispatchers_join_the_registry_by_subclassing():
    assert {"page", "api", "static", "root"} <= set(dispatchers)
    assert Dispatcher.for_path("/cgi-bin/p").routing_type == "page"
    assert Dispatcher.for_path("/api").routing_type == "api"
    assert Dispatcher.for_path("/lib/x.css").routing_type == "static"
    assert Dispatcher.for_path("/nothing") is None

    class EchoDispatcher(Dispatcher):
        routing_type = "echo_test"
        paths = ("/echo-test",)

        def dispatch(self):
            return http.plain(200, "echo")
    try:
        assert dispatchers["echo_test"] is EchoDispatcher
        assert Dispatcher.for_path("/echo-test") is EchoDispatcher
    finally:
        dispatchers.pop("echo_test")


@pytest.fixture
def client(tmp_path):
    return Client(application_in_process(tmp_path))


def test_stack_is_popped_even_when_the_page_raises(client):
    thread = threading.current_thread()
    thread.ses = "left over by an earlier request"
    response = client.get("/cgi-bin/p?rpage=boom")     # no session: redirected before running
    assert response.status_code == 302
    assert not hasattr(thread, "ses")                  # per-thread state reset
    assert http.current_request() is None
    response = client.post("/cgi-bin/api?meth=api_boom", json={})
    assert response.status_code == 200                # no session: sact out, never ran
    assert http.current_request() is None


def test_public_page_runs_and_leaves_no_request_behind(client):
    response = client.get("/cgi-bin/p?rpage=pubpage")
    assert response.status_code == 200
    assert b"hi from the appone tool" in response.data
    assert http.current_request() is None
    response = client.post("/cgi-bin/api?meth=api_where", json={})
    assert response.json["server"]["allow"] == 1
    assert http.current_request() is None


def test_httprequest_hides_server_internals():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": None,
               "wsgi.url_scheme": "http", "werkzeug.socket": object(), "socket": 1,
               "SERVER_NAME": "x", "SERVER_PORT": "80"}
    hr = http.WerkzeugRequest(environ)
    assert set(hr.environ) == {"REQUEST_METHOD", "PATH_INFO", "wsgi.url_scheme",
                               "SERVER_NAME", "SERVER_PORT"}
    assert hr.method == "GET"           # the rest is werkzeug's Request
