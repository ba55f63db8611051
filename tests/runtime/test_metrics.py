"""/metrics of the real server: off by default, allowed addresses only, and
the counts it gives (requests by kind and status, latency, in flight,
threads, database pool, cron runs and failures, reloads), threaded and
prefork (prometheus_client's multiprocess mode)."""
import os
import re
import shutil
import signal

from tests.support.client import api
from tests.support.server import ROOT
from tests.support.wait import wait_for

BOOK = os.path.join(ROOT, "tests", "cron", "addons", "book", "cronbook")
BOOM = os.path.join(ROOT, "tests", "cron", "addons", "slow", "cronslow")


def value(text, name, **labels):
    """The value of one sample of the exposition text (None when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(want) + r"\}" if want else "") + r" (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else None


def scrape(server, headers=None):
    status, _, body = server.get("/metrics", headers=headers)
    assert status == 200, body
    return body.decode()


def test_metrics_are_off_by_default(server_factory):
    server = server_factory()
    assert server.get("/metrics")[0] == 404


def test_only_allowed_addresses_read_the_metrics(server_factory):
    server = server_factory(metrics_enable=1, metrics_allow="10.0.0.0/8", proxy_mode=1)
    assert server.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})[0] == 403
    # the peer is 127.0.0.1, not allowed here either
    assert server.get("/metrics")[0] == 403
    assert server.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})[0] == 200


def addons_with_cron(tmp_path):
    addons = tmp_path / "addons"
    addons.mkdir()
    shutil.copytree(BOOK, addons / "cronbook")
    shutil.copytree(BOOM, addons / "cronslow")
    return str(addons)


def count_requests(server):
    for _ in range(5):
        assert server.get("/lib/bootstrap.LICENSE")[0] == 200
    for _ in range(3):
        assert server.get("/lib/nothing-here.js")[0] == 404
    assert server.get("/health/ready")[0] == 200
    assert api(server.port, "api_server_time")[0] == 200
    return server.get("/cgi-bin/p?app=start")[0]       # a page without a session


def test_threaded_server_counts_requests_cron_and_reloads(server_factory, tmp_path):
    server = server_factory(metrics_enable=1, addons_path=addons_with_cron(tmp_path),
                            max_cron_threads=1)
    page = count_requests(server)
    text = scrape(server)
    assert value(text, "inphms_http_requests_total", kind="static", status="200") == 5
    assert value(text, "inphms_http_requests_total", kind="static", status="404") == 3
    assert value(text, "inphms_http_requests_total", kind="page", status=str(page)) == 1
    assert value(text, "inphms_http_requests_total", kind="health", status="200") == 1
    assert value(text, "inphms_http_requests_total", kind="api", status="200") == 1
    assert value(text, "inphms_http_request_duration_seconds_count", kind="static") == 8
    assert value(text, "inphms_http_request_duration_seconds_bucket", kind="static", le="+Inf") == 8
    assert value(text, "inphms_http_requests_in_flight") == 1     # the scrape itself
    assert value(text, "inphms_threads") >= 3
    assert value(text, "inphms_db_pool_open") >= 1
    assert value(text, "inphms_db_pool_waiting") == 0
    assert value(text, "inphms_server_reloads") == 0
    # cron: boom fails every second, tick succeeds every two
    def cron_counted():
        text = scrape(server)
        if (value(text, "inphms_cron_runs_total", job="boom", status="error") or 0) >= 2 and \
                value(text, "inphms_cron_runs_total", job="tick", status="ok"):
            return text
    text = wait_for(cron_counted, 15, step=0.5) or scrape(server)
    assert value(text, "inphms_cron_runs_total", job="boom", status="error") >= 2
    assert value(text, "inphms_cron_runs_total", job="tick", status="ok") >= 1
    pid = server.pid
    server.signal(signal.SIGHUP)
    server.wait_log("HTTP service", count=2)
    def scraped():
        try:
            return scrape(server)
        except (OSError, AssertionError):
            return None
    text = wait_for(scraped, 15, "a scrape after the reload", step=0.1)
    assert value(text, "inphms_server_reloads") == 1 and server.pid == pid


def test_prefork_workers_add_up_in_one_exposition(server_factory, tmp_path):
    server = server_factory(metrics_enable=1, workers=2, max_cron_threads=0)
    folder = os.path.join(server.options["data_dir"], "metrics")

    def counting_pids():
        # a process writes counter_<pid>.db once it counted a request (the master never does)
        return {f for f in os.listdir(folder) if f.startswith("counter_")}

    sent = 0
    while sent < 400 and (sent < 40 or len(counting_pids()) < 2):
        assert server.get("/lib/bootstrap.LICENSE")[0] == 200
        sent += 1
    assert len(counting_pids()) == 2, "one worker served every request"
    text = scrape(server)
    assert value(text, "inphms_http_requests_total", kind="static", status="200") == sent
    assert value(text, "inphms_threads") >= 3
    old = set(re.findall(r"http worker (\d+) started", server.log()))
    server.signal(signal.SIGHUP)
    server.wait_log("stopping 2 workers of the previous image")

    def old_gauges():
        return [f for f in os.listdir(folder) if "livesum" in f and f.split("_")[-1][:-3] in old]
    # the old workers' live gauges are gone with them
    wait_for(lambda: not old_gauges(), 15, f"the old workers' gauges {old_gauges()} to go")
    text = scrape(server)
    assert value(text, "inphms_server_reloads") == 1
    # the old workers' requests still count; their gauges no longer do
    assert value(text, "inphms_http_requests_total", kind="static", status="200") == sent
    assert value(text, "inphms_http_requests_in_flight") == 1
