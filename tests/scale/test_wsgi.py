"""inphms.wsgi:application under another WSGI server (the standard library's, and gunicorn)."""
import shutil
import subprocess
import sys

import pytest

from tests.support.client import api, request
from tests.support.server import BIN, ROOT, free_port, write_config
from tests.support.wait import wait_port

WSGIREF = """
import sys
from wsgiref.simple_server import make_server
from inphms.wsgi import application
make_server("127.0.0.1", int(sys.argv[1]), application).serve_forever()
"""


def run_host(cmd, tmp_path, port):
    conf = write_config(str(tmp_path / "inphms.conf"), data_dir=str(tmp_path / "data"),
                        logfile=str(tmp_path / "wsgi.log"))
    env = {"INPHMS_RC": conf, "PATH": "/usr/bin:/bin", "PYTHONPATH": ROOT}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wait_port(port, 30, proc)
    return proc, conf


def check_app(port, conf):
    out = subprocess.run([sys.executable, BIN, "user", "add", "wsgiuser",
                          "-c", conf], input="wsgi-pw-1\n", capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    status, server = api(port, "api_login", {"u": "wsgiuser", "p": "wsgi-pw-1"})
    assert server["allow"] == 1
    status, _, body = request(port, "GET", f"/cgi-bin/p?ses={server['ses']}")
    assert status == 200 and b"id=dashtitle" in body
    assert request(port, "GET", "/lib/bootstrap.LICENSE")[0] == 200


def test_under_wsgiref(tmp_path):
    port = free_port()
    proc, conf = run_host([sys.executable, "-c", WSGIREF, str(port)], tmp_path, port)
    try:
        check_app(port, conf)
        assert "no users yet" in (tmp_path / "wsgi.log").read_text()
    finally:
        proc.terminate()
        proc.wait(10)


def test_under_gunicorn(tmp_path):
    gunicorn = shutil.which("gunicorn")
    if gunicorn is None:
        pytest.fail("gunicorn is not installed (tests/run installs it)")
    port = free_port()
    proc, conf = run_host([gunicorn, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                           "inphms.wsgi:application"], tmp_path, port)
    try:
        check_app(port, conf)
    finally:
        proc.terminate()
        proc.wait(20)
