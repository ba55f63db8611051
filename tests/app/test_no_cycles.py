"""A request leaves no reference cycle behind.

Whatever a request builds must go when its last reference goes.  Objects
caught in a cycle wait for the garbage collector instead: with one cycle
per request its youngest generation ran every few dozen requests under
load, and its oldest stopped the whole process for 15-36 ms at a time (all
greenlets of an evented server at once).  The collector is told to keep
what it finds (``DEBUG_SAVEALL``), so a cycle shows up as ``gc.garbage``.
"""
import collections
import gc

import pytest
from werkzeug.test import EnvironBuilder

from tests.app.conftest import application_in_process
from tests.support.http11 import Wire
from tests.support import inprocess

REQUESTS = 20
CASES = [
    ("GET", "/cgi-bin/p?rpage=pubpage", None, "200"),
    ("GET", "/cgi-bin/p?rpage=boom", None, "302"),           # no session: to the login page
    ("GET", "/cgi-bin/p?rpage=nosuch", None, "404"),
    ("POST", "/cgi-bin/api?meth=api_where", b"{}", "200"),
    ("POST", "/cgi-bin/api?meth=api_where", b"{not json", "400"),
    ("GET", "/lib/kicdev.server.js", None, "200"),
    ("GET", "/nothing", None, "404"),
    ("GET", "/", None, "302"),
]


@pytest.fixture
def app(tmp_path):
    return application_in_process(tmp_path)


def cycles_left_by(send, count=REQUESTS):
    """Types of the objects in cycles after ``count`` calls of ``send`` (warmed up first)."""
    for _ in range(3):
        send()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(count):
            send()
        gc.collect()
        found = collections.Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return found


def call(app, method, path, body):
    environ = EnvironBuilder(path=path, method=method, data=body,
                             content_type="application/json" if body else None).get_environ()
    status = []
    answer = app(environ, lambda line, headers, exc_info=None: status.append(line))
    b"".join(answer)
    if hasattr(answer, "close"):
        answer.close()
    return status[0]


@pytest.mark.parametrize("method,path,body,status", CASES)
def test_the_application_leaves_no_cycle(app, method, path, body, status):
    assert call(app, method, path, body).startswith(status)
    assert cycles_left_by(lambda: call(app, method, path, body)) == {}


@pytest.mark.parametrize("path", ["/cgi-bin/p?rpage=pubpage", "/lib/kicdev.server.js"])
def test_the_threaded_server_leaves_no_cycle(app, path):
    server = inprocess.serve(app)
    try:
        with Wire(server.server_address[1]) as wire:
            def send():
                wire.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert wire.answer().status == 200
            assert cycles_left_by(send) == {}
    finally:
        inprocess.close(server)
