"""--workers N: the master, its workers, their restarts and reloads."""
import collections
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from tests.support.cron import settled_ticks
from tests.support.process import (LOAD_CLIENT, has_read, held_connections, rss_kb,
                                   stop_every_thread, wait_children)
from tests.support.client import api
from tests.support.server import finish_request, partial_request
from tests.support.wait import wait_for

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addons")
LICENSE = "/lib/bootstrap.LICENSE"


def pids_answering(server, n=40):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return {a[1]["pid"] for a in pool.map(lambda _: api(server.port, "api_pid"), range(n))}


def test_workers_share_the_socket_and_are_replaced_when_they_die(server_factory, addons):
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0)
    workers = wait_children(server.pid, 2)
    assert pids_answering(server) <= set(workers)
    os.kill(workers[0], signal.SIGKILL)
    now = wait_children(server.pid, 2, other_than=[workers[0]])
    assert workers[1] in now
    server.wait_log("exited (killed by SIGKILL): starting a new one")
    assert api(server.port, "api_pid")[0] == 200


def test_sigterm_stops_every_worker_gracefully(server_factory, addons):
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0)
    workers = wait_children(server.pid, 2)
    sock = partial_request(server.port, LICENSE)
    has_read(server.pid, server.port)       # a worker is reading its head
    server.signal(signal.SIGTERM)
    server.wait_log("stopping the workers gracefully")
    # the idle worker is gone; the one with the request in flight stays for it
    busy = wait_children(server.pid, 1)
    assert busy[0] in workers
    response = finish_request(sock)
    assert response.startswith(b"HTTP/1.1 200") and response.rstrip().endswith(b"SOFTWARE.")
    assert server.wait(20) == 0
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_sighup_is_a_rolling_reload_without_failures(server_factory, addons):
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0)
    master = server.pid
    old = wait_children(master, 2)
    client = subprocess.Popen([sys.executable, "-c", LOAD_CLIENT, str(server.port), "100000", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)     # pacing on purpose: the old workers serve the load for a while
    server.signal(signal.SIGHUP)
    new = wait_children(master, 2, other_than=old, timeout=30)
    time.sleep(1.5)     # pacing on purpose: and the new ones
    server.signal(signal.SIGHUP)
    wait_children(master, 2, other_than=new, timeout=30)
    out, err = client.communicate(timeout=60)
    ok, failed = map(int, out.split())
    assert failed == 0 and ok > 50, err
    assert server.pid == master and server.proc.poll() is None
    assert server.log().count("rolling reload") == 2


def test_worker_max_requests_recycles_workers(server_factory, addons):
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0,
                            worker_max_requests=25)
    first = wait_children(server.pid, 2)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: api(server.port, "api_pid")[0], range(150)))
    assert statuses == [200] * 150
    server.wait_log("(worker_max_requests): recycling")
    wait_children(server.pid, 2, other_than=first, timeout=20)


def test_worker_over_the_memory_soft_limit_is_replaced(server_factory, addons, tmp_path):
    # a thread per connection (max_http_requests = 0): the 100 connections grow the worker
    probe = server_factory("--workers", "1", addons_path=addons, max_cron_threads=0,
                           max_http_requests=0)
    # the worker's size once it is serving: read at once after the fork it is
    # still growing, and the limit could fall below a fresh worker's size
    probe.wait_log("HTTP service (threaded) running")
    fresh_kb = rss_kb(wait_children(probe.pid, 1)[0])
    probe.stop()
    server = server_factory("--workers", "1", addons_path=addons, max_cron_threads=0,
                            max_http_requests=0, limit_memory_soft=(fresh_kb + 1536) * 1024,
                            logfile=str(tmp_path / "mem.log"))
    first = wait_children(server.pid, 1)
    socks = [partial_request(server.port, LICENSE) for _ in range(100)]
    server.wait_log("request(s) in flight end")
    for sock in socks:
        assert finish_request(sock).startswith(b"HTTP/1.1 200")
    wait_children(server.pid, 1, other_than=first, timeout=20)
    assert "is over limit_memory_soft" in server.log()
    assert api(server.port, "api_pid")[0] == 200


BOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cron", "addons",
                    "book")


def test_cron_runs_once_in_the_cron_worker_not_per_worker(server_factory, tmp_path):
    from tests.support.db import query
    addons = tmp_path / "both"
    shutil.copytree(BOOK, addons)
    shutil.copytree(os.path.join(SLOWAPP, "slowapp"), addons / "slowapp")
    server = server_factory("--workers", "2", addons_path=str(addons), max_cron_threads=2)
    kids = wait_children(server.pid, 3)             # 2 http workers + 1 cron worker
    server.wait_log("cron worker")
    rows = settled_ticks(lambda: query(server.config_path,
                                       "SELECT pid, due FROM cron_book WHERE name = 'tick'"), due=1)
    pids = {r[0] for r in rows}
    assert len(pids) == 1 and pids <= set(kids)     # one process ran it: the cron worker
    http_workers = pids_answering(server)
    assert not pids & http_workers
    dues = [r[1] for r in rows]
    assert len(dues) == len(set(dues)) == 3        # each tick once


def test_workers_stop_when_the_master_is_killed(server_factory, tmp_path):
    addons = tmp_path / "both"
    shutil.copytree(BOOK, addons)
    shutil.copytree(os.path.join(SLOWAPP, "slowapp"), addons / "slowapp")
    server = server_factory("--workers", "2", addons_path=str(addons), max_cron_threads=1)
    kids = wait_children(server.pid, 3)
    server.signal(signal.SIGKILL)
    server.wait(10)
    wait_for(lambda: not [p for p in kids if os.path.exists(f"/proc/{p}")], 15,
             f"the workers {kids} to stop", step=0.2)
    assert "is gone: stopping" in server.log()


def test_evented_workers_serve_and_roll(server_factory, addons):
    server = server_factory("--workers", "2", "--evented", addons_path=addons, max_cron_threads=0)
    old = wait_children(server.pid, 2)
    assert pids_answering(server) <= set(old)
    server.wait_log("HTTP service (gevent)", count=2)
    client = subprocess.Popen([sys.executable, "-c", LOAD_CLIENT, str(server.port), "100000", "6"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)     # pacing on purpose: the old workers serve the load for a while
    server.signal(signal.SIGHUP)
    wait_children(server.pid, 2, other_than=old, timeout=30)
    out, err = client.communicate(timeout=60)
    ok, failed = map(int, out.split())
    assert failed == 0 and ok > 50, err


def test_no_http_enable_with_workers_runs_cron_only(server_factory, tmp_path):
    import socket
    addons = tmp_path / "book"
    shutil.copytree(BOOK, addons)
    server = server_factory("--workers", "2", "--no-http-enable", addons_path=str(addons),
                            max_cron_threads=1, start=False)
    server.start(wait=False)
    server.wait_log("cron worker")
    kids = wait_children(server.pid, 1)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0     # nothing listens
    assert "HTTP service" not in server.log()
    server.signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert not [p for p in kids if os.path.exists(f"/proc/{p}")
                and open(f"/proc/{p}/stat").read().split()[2] != "Z"]


def pid_of_connection(conn):
    """Which worker answers on this kept-alive connection (``api_pid``)."""
    body = json.dumps({"info": {"ses": ""}, "input": {}})
    conn.request("POST", "/cgi-bin/api?meth=api_pid", body=body,
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    assert answer.status == 200
    return json.loads(answer.read())["server"]["pid"]


def test_a_burst_of_connections_is_shared_evenly_between_workers(server_factory, addons):
    # The kernel wakes every worker on the shared socket and the first to
    # accept wins: without the board, the worker awake first took most of a
    # burst (60 of 64 was seen).  Each worker gets its half, give or take.
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0)
    workers = wait_children(server.pid, 2)
    for burst in range(3):
        if burst == 2:
            # a worker that died is replaced, and its slot on the board with it
            os.kill(workers[0], signal.SIGKILL)
            workers = wait_children(server.pid, 2, other_than=[workers[0]])
            server.wait_log("exited (killed by SIGKILL): starting a new one")
            wait_for(lambda: api(server.port, "api_pid")[0] == 200, 10)
        conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                 for _ in range(32)]
        try:
            for conn in conns:
                conn.connect()      # all of them first: the burst
            pids = collections.Counter(pid_of_connection(conn) for conn in conns)
        finally:
            for conn in conns:
                conn.close()
        assert set(pids) == set(workers), pids
        assert max(pids.values()) - min(pids.values()) <= 4, (burst, pids)
        # the closed connections leave both workers' counts
        wait_for(lambda: not held_connections(server.pid, server.port), 10)


def test_a_stopped_worker_delays_new_connections_but_does_not_hold_them(server_factory, addons):
    # A worker with more connections waits for a quieter one to accept, a
    # few milliseconds at most: a quieter worker that is stopped (or stuck)
    # must not keep the other from accepting.
    server = server_factory("--workers", "2", addons_path=addons, max_cron_threads=0,
                            worker_timeout=120)
    workers = wait_children(server.pid, 2)
    first = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    busy = pid_of_connection(first)     # the other has no connection, the quieter
    quiet = next(pid for pid in workers if pid != busy)
    stop_every_thread(quiet)
    try:
        started = time.monotonic()
        conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                 for _ in range(20)]
        pids = [pid_of_connection(conn) for conn in conns]
        took = time.monotonic() - started
        for conn in conns:
            conn.close()
    finally:
        os.kill(quiet, signal.SIGCONT)
        first.close()
    assert pids == [busy] * 20
    # each waited its bounded yield (balance.YIELD_MAX), not the client's timeout
    assert took < 5, took
    again = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        assert pid_of_connection(again) in workers     # both accept again once it runs
    finally:
        again.close()
