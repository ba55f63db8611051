"""Two inphms servers on one MariaDB behind Debian's nginx, with the config of
docs/examples/nginx.conf: any server answers, cron runs once, a stopped server
loses no request."""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.support.apps import copy_addons
from tests.support.client import api, request
from tests.support.cron import settled_ticks
from tests.support.proxies import API_PID_LOOP, BOOK, SLOWAPP, nginx_config, start_proxy
from tests.support.server import BIN, InphmsProcess, free_port
from tests.support.wait import wait_for

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
    proc = start_proxy([nginx, "-c", conf, "-p", str(work)], port, "/lib/bootstrap.LICENSE",
                       stderr=subprocess.PIPE)
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
    rows = settled_ticks(lambda: query(farm["servers"][0].config_path,
                                       "SELECT due, pid FROM cron_book WHERE name = 'tick'"))
    dues = [r[0] for r in rows]
    assert len(dues) == len(set(dues)) == 3


def test_stopping_one_server_loses_no_request(farm):
    client = subprocess.Popen([sys.executable, "-c", API_PID_LOOP, str(farm["port"]), "6"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the load is on: both servers answer it before one is stopped
    seen = [s.log().count("meth=api_pid 200") for s in farm["servers"]]
    for server, before in zip(farm["servers"], seen):
        wait_for(lambda: server.log().count("meth=api_pid 200") > before, 15, "the load on both servers")
    one = farm["servers"][0]
    one.signal(signal.SIGTERM)
    assert one.wait(30) == 0
    out, err = client.communicate(timeout=60)
    ok, failed, pids = map(int, out.split())
    assert failed == 0 and ok > 50, err
    assert pids == 2        # both answered before the stop
