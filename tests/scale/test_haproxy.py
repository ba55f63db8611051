"""HAProxy with docs/examples/haproxy.cfg in front of two inphms servers: a
server that stops gracefully (drain_delay) fails its readiness check and is
taken out by HAProxy before it stops accepting, so no request fails; and
HAProxy keeps /metrics off the public side."""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.support.client import request
from tests.support.proxies import API_PID_LOOP, HAPROXY_EXAMPLE, SLOWAPP, haproxy_config, start_proxy
from tests.support.server import InphmsProcess, free_port
from tests.support.wait import wait_for

@pytest.fixture
def balanced(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.path.exists(haproxy):
        pytest.fail("haproxy is not installed (tests/run installs it)")
    addons = tmp_path / "addons"
    shutil.copytree(SLOWAPP, addons / "slowapp")
    servers = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        # drain_delay 5: the example checks every 2 s and takes a server out after 2 failures
        servers.append(InphmsProcess(folder, addons_path=str(addons), proxy_mode=1,
                                     max_cron_threads=0, drain_delay=5, metrics_enable=1).start())
    port = free_port()
    conf = haproxy_config(str(tmp_path), port, [s.port for s in servers])
    log = open(tmp_path / "haproxy.log", "w+")
    proc = start_proxy([haproxy, "-db", "-f", conf], port, "/health/ready",
                       stdout=log, stderr=subprocess.STDOUT)
    yield {"port": port, "servers": servers, "log": log}
    proc.terminate()
    proc.wait(10)
    log.close()
    for server in servers:
        server.stop()


def test_the_example_is_valid():
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    done = subprocess.run([haproxy, "-c", "-f", HAPROXY_EXAMPLE], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_draining_server_leaves_before_it_closes(balanced):
    client = subprocess.Popen([sys.executable, "-c", API_PID_LOOP, str(balanced["port"]), "10"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the load is on: both servers answer it before one is stopped
    for server in balanced["servers"]:
        wait_for(lambda: "meth=api_pid 200" in server.log(), 15, "the load on both servers")
    one = balanced["servers"][0]
    one.signal(signal.SIGTERM)
    assert one.wait(30) == 0
    out, err = client.communicate(timeout=60)
    ok, failed, pids = map(int, out.split())
    balanced["log"].seek(0)
    log = balanced["log"].read()
    assert failed == 0 and ok > 50, err
    assert pids == 2
    # taken out by its readiness answer (503), not by a refused connection
    down = [line for line in log.splitlines() if "app1 is DOWN" in line]
    assert down and "Layer7 wrong status" in down[0] and "code: 503" in down[0], log


def test_metrics_stay_off_the_public_side(balanced):
    assert request(balanced["port"], "GET", "/metrics")[0] == 403
    # the server itself answers its own loopback
    assert balanced["servers"][1].get("/metrics")[0] == 200
