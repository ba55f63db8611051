"""--evented: one gevent process serving many slow requests at once."""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.apps import copy_addons
from tests.support.process import LOAD_CLIENT
from tests.support.client import api, new_session, request
from tests.support.server import ROOT, InphmsProcess

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addons")


def slow_server(tmp_path_factory, mariadb, name, args, db_maxconn):
    """An evented server with the slowapp addon on a new MariaDB database, for a module."""
    work = tmp_path_factory.mktemp(name)
    addons = copy_addons(work)
    shutil.copytree(os.path.join(SLOWAPP, "slowapp"), os.path.join(addons, "slowapp"))
    db = mariadb.options(mariadb.create_database())
    server = InphmsProcess(work, args=args, addons_path=addons, db_maxconn=db_maxconn, **db)
    server.start()
    yield server
    server.stop()
    mariadb.drop_database(db["db_name"])


@pytest.fixture(scope="module")
def evented(tmp_path_factory, mariadb):
    yield from slow_server(tmp_path_factory, mariadb, "evented", ["--evented"], 600)


@pytest.fixture(scope="module")
def evented_workers(tmp_path_factory, mariadb):
    yield from slow_server(tmp_path_factory, mariadb, "evented_workers",
                           ["--evented", "--workers", "2"], 100)


def slow_requests(server, count):
    """``count`` calls of api_slow (a second's SLEEP each) at once: the answers and the seconds taken."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda n: api(server.port, "api_slow", timeout=120), range(count)))
    return answers, time.monotonic() - started


def test_500_slow_requests_at_once_in_one_process(evented):
    answers, elapsed = slow_requests(evented, 500)
    assert all(status == 200 and server["allow"] == 1 for status, server in answers)
    assert {server["pid"] for _, server in answers} == {evented.pid}
    # each waited a second on the database: served one after the other that
    # would be 500 s; on 16 threads, about 32 s
    assert elapsed < 20, f"500 slow requests took {elapsed:.1f} s"
    assert len({server["conn"] for _, server in answers}) > 100


def test_printed_output_is_kept_per_greenlet(evented):
    ses = new_session(evented.config_path, user_id=4001)

    def one(n):
        status, _, body = request(evented.port, "GET", f"/p?ses={ses}&rpage=printid&n={n}")
        return n, status, body.decode()

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        for n, status, html in pool.map(one, range(32)):
            assert status == 200
            out = re.search(r"<p id=out>(.*?)</p>", html, re.S).group(1)
            assert re.fullmatch(rf"start {n}(\s+{n}){{5}}\s+end {n}", out.strip()), out


def test_api_answers_stay_per_greenlet(evented):
    ses = new_session(evented.config_path, user_id=4001)
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        got = list(pool.map(lambda n: api(evented.port, "api_printid", {"n": n}, ses=ses)[1]["n"],
                            range(64)))
    assert got == list(range(64))


def test_sighup_under_load_loses_nothing(evented):
    client = subprocess.Popen([sys.executable, "-c", LOAD_CLIENT, str(evented.port), "100000", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = evented.log().count("HTTP service (gevent)")
    time.sleep(1.5)     # pacing on purpose: the first image serves the load for a while
    evented.signal(signal.SIGHUP)
    evented.wait_log("HTTP service (gevent)", count=before + 1, timeout=30)
    out, err = client.communicate(timeout=60)
    ok, failed = map(int, out.split())
    assert failed == 0 and ok > 50, err


POOL_CHECK = r"""
from gevent import monkey
monkey.patch_all()
import socket, sys
import gevent
sys.path.insert(0, sys.argv[1])
from inphms.sql.engine_mysql import readable

ran = []
quiet, peer = socket.socketpair()
gevent.spawn(ran.append, 1)
answers = [readable(quiet)]
peer.sendall(b"x")
answers.append(readable(quiet))
peer.close()
quiet.recv(1)
answers.append(readable(quiet))
print(answers, ran)
"""


def test_the_pool_checks_a_connection_without_yielding_to_other_greenlets():
    # The pool asks whether a connection's socket is readable (closed by the
    # server) on every borrow. gevent's poll() switches to the other
    # greenlets even with a timeout of 0: a sixth of an API request's CPU.
    done = subprocess.run([sys.executable, "-c", POOL_CHECK, ROOT], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    # quiet: not readable; data waiting: readable; closed by the peer: readable
    assert done.stdout.split() == ["[False,", "True,", "True]", "[]"], done.stdout


def test_evented_workers_still_overlap_slow_statements(evented_workers):
    # An evented worker waits up to 1 ms for each database answer before it
    # yields (inphms.sql.engine_mysql.MysqlConnection); a second's SLEEP must
    # still be waited for the gevent way, beside the others.
    answers, elapsed = slow_requests(evented_workers, 40)
    assert all(status == 200 and server["slept"] == 0 for status, server in answers), answers[:3]
    # one statement after the other in each of the two workers: 20 s
    assert elapsed < 10, f"40 slow requests on two evented workers took {elapsed:.1f} s"


ANSWER_WAIT = r"""
from gevent import monkey
monkey.patch_all()
import json, sys
import gevent
sys.path.insert(0, sys.argv[1])
from inphms.sql import engine_mysql

conn = engine_mysql.MysqlEngine(json.loads(sys.argv[2])).connect()
ticks = []


def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.001)     # on purpose: the ticker yields, and counts how often it gets back


def others_ran(seconds, wait=None):
    # the other greenlet's ticks during a statement of `seconds`; `wait`: a new wait
    if wait is not None:
        engine_mysql.wait_for_answers(wait)
    before = len(ticks)
    statements(f"SELECT SLEEP({seconds})", 1)
    return len(ticks) - before


def statements(sql, count):
    with conn.cursor() as cur:
        for _ in range(count):
            cur.execute(sql)
            cur.fetchall()


gevent.spawn(ticker)
gevent.sleep(0.01)      # on purpose: let the ticker start before the measures
ran = [others_ran(0.1, wait=0), others_ran(0.1, wait=1.0), others_ran(0.3, wait=0.02)]
engine_mysql.wait_for_answers(1.0)
statements("SELECT 1", 20)
ran.append(others_ran(0.1))
engine_mysql.wait_for_answers(1.0)
statements("SELECT SLEEP(0.002)", 12)
ran.append(others_ran(0.1))
print(json.dumps(ran))
"""


def test_a_connection_waits_for_quick_answers_in_the_kernel_up_to_answer_wait(mariadb):
    db = mariadb.options(mariadb.create_database())
    try:
        # the engine reads its time limits from the settings too (0: none)
        limits = dict(db_connect_timeout=5, db_read_timeout=0, db_write_timeout=0,
                      db_statement_timeout=0)
        done = subprocess.run([sys.executable, "-c", ANSWER_WAIT, ROOT, json.dumps({**limits, **db})],
                              capture_output=True, text=True, timeout=60)
    finally:
        mariadb.drop_database(db["db_name"])
    assert done.returncode == 0, done.stderr
    no_wait, within, beyond, after_quick, after_slow = json.loads(done.stdout)
    assert no_wait > 5, done.stdout        # gevent's wait: the other greenlet ran meanwhile
    assert within == 0, done.stdout        # answered within the wait: nothing else ran
    assert beyond > 5, done.stdout         # longer than the wait: yielded after it
    # quick answers keep the waits; mostly slow ones (a database across a
    # network, slow statements) stop them: the worker would idle for nothing
    assert after_quick == 0, done.stdout
    assert after_slow > 5, done.stdout


def without_gevent(tmp_path):
    """An environment whose python cannot import gevent, as when the extra is not installed."""
    shadow = tmp_path / "no_gevent"
    shadow.mkdir()
    (shadow / "gevent.py").write_text("raise ModuleNotFoundError(\"No module named 'gevent'\")\n")
    return {"PYTHONPATH": str(shadow)}


def test_evented_without_gevent_fails_in_one_line_naming_the_extra(tmp_path):
    server = InphmsProcess(tmp_path, args=["--evented"], env=without_gevent(tmp_path))
    server.start(wait=False)
    try:
        out, err = server.proc.communicate(timeout=60)
    finally:
        server.stop()
    assert server.proc.returncode == 1
    assert err.decode().splitlines() == [
        "inphms-bin: --evented needs gevent, which cannot be imported (No module named 'gevent'): "
        "pip install 'inphms[evented]'"]


def test_the_threaded_server_needs_no_gevent(tmp_path):
    server = InphmsProcess(tmp_path, env=without_gevent(tmp_path))
    server.start()
    try:
        assert server.get("/lib/bootstrap.min.css")[0] == 200
    finally:
        server.stop()
    assert "gevent" not in server.log()
