"""The minimal Application (/lib static files, 404), the log, lazy_property."""
import os
import socket

import pytest

from inphms.tools.func import lazy_property
from tests.support.server import ROOT

WEB_LIB = os.path.join(ROOT, "inphms", "addons", "web", "client", "lib")


def test_bootstrap_is_vendored_with_its_license():
    for name in ("bootstrap.min.css", "bootstrap.bundle.min.js", "bootstrap.LICENSE"):
        assert os.path.getsize(os.path.join(WEB_LIB, name)) > 1000 or name.endswith("LICENSE")
    with open(os.path.join(WEB_LIB, "bootstrap.LICENSE")) as handle:
        assert "The Bootstrap Authors" in handle.read()
    with open(os.path.join(WEB_LIB, "bootstrap.min.css")) as handle:
        assert handle.read(200).startswith("@charset \"UTF-8\";/*!\n * Bootstrap")


def test_lib_files_with_etag_and_304(server_factory):
    server = server_factory()
    status, headers, body = server.get("/lib/bootstrap.min.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert int(headers["Content-Length"]) == len(body) == os.path.getsize(
        os.path.join(WEB_LIB, "bootstrap.min.css"))
    assert headers["ETag"] and headers["Last-Modified"]
    status, headers2, body = server.get("/lib/bootstrap.min.css",
                                        headers={"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    status, _, _ = server.get("/lib/bootstrap.min.css",
                              headers={"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    status, headers, _ = server.get("/lib/bootstrap.bundle.min.js")
    assert status == 200 and "javascript" in headers["Content-Type"]


@pytest.mark.parametrize("path", ["/nothing", "/cgi-bin/other", "/lib/", "/lib/nope.css",
                                  "/lib/../inphms.conf", "/lib/%2e%2e/%2e%2e/__manifest__.py",
                                  "/lib/..%2f__manifest__.py"])
def test_anything_else_is_a_plain_404(server_factory, path):
    server = server_factory()
    status, headers, body = server.get(path)
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert body == b"not found\n"


def test_access_log_line_masks_the_session(server_factory):
    server = server_factory()
    token = "A" * 84
    server.get(f"/p?app=start&ses={token}&rpage=dashboard")
    server.get("/lib/bootstrap.LICENSE")
    server.wait_log("GET /p?app=start")
    log = server.wait_log("GET /lib/bootstrap.LICENSE 200")
    assert token not in log
    lines = [l for l in log.splitlines() if "inphms.access" in l]
    assert any("GET /p?app=start&ses=***&rpage=dashboard 302 " in l for l in lines)
    assert any("GET /lib/bootstrap.LICENSE 200 " in l and l.endswith("ms") for l in lines)


def test_startup_report_never_shows_the_password(server_factory):
    server = server_factory(db_password="s3cret-pa55", log_level="info")
    log = server.wait_log("HTTP service")
    assert "inphms version" in log
    assert f"using configuration file at {server.config_path}" in log
    assert "addons paths:" in log
    assert "database: sqlite" in log
    assert "s3cret-pa55" not in log


def test_log_level_and_logfile(server_factory, tmp_path):
    server = server_factory(log_level="warning", logfile=str(tmp_path / "quiet.log"))
    server.get("/lib/bootstrap.LICENSE")
    server.get("/lib/bootstrap.LICENSE")
    assert server.log() == ""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        sock.recv(4096)
    log = server.wait_log("refused with 400")   # warnings still reach the file
    assert "inphms.access" not in log and "inphms version" not in log


def test_garbage_request_gets_an_error_and_is_logged(server_factory):
    server = server_factory()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Invalid method" in answer      # llhttp's reason, said to the client
    server.wait_log("127.0.0.1: refused with 400 Bad Request: Invalid method")
    assert server.proc.poll() is None
    assert server.get("/lib/bootstrap.LICENSE")[0] == 200


class Thing:
    calls = 0

    @lazy_property
    def parts(self):
        Thing.calls += 1
        return [Thing.calls]


def test_lazy_property_computes_once_and_rearms_on_delete():
    thing = Thing()
    assert thing.parts == [1]
    assert thing.parts == [1] and Thing.calls == 1
    assert "parts" in vars(thing)              # now a plain attribute
    del thing.parts
    assert thing.parts == [2] and Thing.calls == 2
    assert isinstance(Thing.__dict__["parts"], lazy_property)
