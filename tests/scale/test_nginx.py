"""Two inphms servers on one MariaDB behind Debian's nginx, with the config of
docs/examples/nginx.conf: any server answers, cron runs once, a stopped server
loses no request."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.app.conftest import copy_addons
from tests.support.client import api, request
from tests.support.server import BIN, ROOT, InphmsProcess, free_port

EXAMPLE = os.path.join(ROOT, "docs", "examples", "nginx.conf")
BOOK = os.path.join(ROOT, "tests", "cron", "addons", "book")
SLOWAPP = os.path.join(ROOT, "tests", "scale", "addons", "slowapp")

LOOP = textwrap.dedent("""
    import http.client, json, sys, time
    port, limit = int(sys.argv[1]), float(sys.argv[2])
    ok = failed = 0
    pids = set()
    end = time.monotonic() + limit
    while time.monotonic() < end and ok + failed < 20000:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/cgi-bin/api?meth=api_pid", body="{}")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 200:
                ok += 1
                pids.add(json.loads(body)["server"]["pid"])
            else:
                failed += 1
            conn.close()
        except Exception as exc:
            failed += 1
            print(repr(exc), file=sys.stderr)
    print(ok, failed, len(pids))
""")


def nginx_config(work, port, upstreams):
    """The docs' example, on test ports, inside a minimal nginx.conf."""
    text = open(EXAMPLE).read()
    text = text.replace("127.0.0.1:8069", f"127.0.0.1:{upstreams[0]}")
    text = text.replace("127.0.0.1:8070", f"127.0.0.1:{upstreams[1]}")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/var/log/nginx/inphms.access.log", f"{work}/inphms-access.log")
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as handle:
        handle.write(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{text}
}}
""")
    return conf


@pytest.fixture(scope="module")
def farm(tmp_path_factory, mariadb):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("nginx is not installed (tests/run installs it)")
    work = tmp_path_factory.mktemp("farm")
    addons = copy_addons(work)
    shutil.copytree(os.path.join(BOOK, "cronbook"), os.path.join(addons, "cronbook"))
    shutil.copytree(SLOWAPP, os.path.join(addons, "slowapp"))
    db = mariadb.options(mariadb.create_database())
    servers = []
    for name in ("one", "two"):
        folder = work / name
        folder.mkdir()
        servers.append(InphmsProcess(folder, addons_path=addons, proxy_mode=1,
                                     max_cron_threads=1, **db).start())
    port = free_port()
    conf = nginx_config(str(work), port, [s.port for s in servers])
    proc = subprocess.Popen([nginx, "-c", conf, "-p", str(work)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/lib/bootstrap.LICENSE")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield {"port": port, "servers": servers, "db": db}
    proc.terminate()
    proc.wait(10)
    proc.stderr.close()
    for server in servers:
        server.stop()
    mariadb.drop_database(db["db_name"])


def test_login_through_nginx_and_every_server_serves_the_session(farm):
    one, two = farm["servers"]
    out = subprocess.run([sys.executable, BIN, "user", "add", "farmer", "-c", one.config_path],
                         input="farm-pw-1\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    status, server = api(farm["port"], "api_login", {"u": "farmer", "p": "farm-pw-1"})
    assert server["allow"] == 1
    ses = server["ses"]
    for _ in range(12):
        status, _, body = request(farm["port"], "GET", f"/cgi-bin/p?app=start&ses={ses}")
        assert status == 200 and b"id=dashtitle" in body
        assert api(farm["port"], "api_who", ses=ses)[1]["allow"] == 1
    # both servers served this session (nginx alternates between them)
    for server in (one, two):
        log = server.wait_log("inphms.access")
        assert "meth=api_who 200" in log or "GET /cgi-bin/p?app=start&ses=*** 200" in log
    # nginx's log of the example config keeps the token out
    with open(os.path.join(os.path.dirname(one.workdir), "inphms-access.log")) as handle:
        text = handle.read()
    assert '"GET /cgi-bin/p" 200' in text and ses not in text


def test_cron_runs_each_tick_once_across_both_servers(farm):
    from tests.support.db import query
    time.sleep(7)
    rows = query(farm["servers"][0].config_path,
                 "SELECT due, pid FROM cron_book WHERE name = 'tick'")
    dues = [r[0] for r in rows]
    assert len(dues) >= 3 and len(dues) == len(set(dues))


def test_stopping_one_server_loses_no_request(farm):
    client = subprocess.Popen([sys.executable, "-c", LOOP, str(farm["port"]), "6"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    one = farm["servers"][0]
    one.signal(signal.SIGTERM)
    assert one.wait(30) == 0
    out, err = client.communicate(timeout=60)
    ok, failed, pids = map(int, out.split())
    assert failed == 0 and ok > 50, err
    assert pids == 2        # both answered before the stop
