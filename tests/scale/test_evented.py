"""--evented: one gevent process serving many slow requests at once."""
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.app.conftest import copy_addons
from tests.runtime.test_signals import CLIENT
from tests.support.client import api, new_session, request
from tests.support.server import ROOT, InphmsProcess

SLOWAPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addons")


@pytest.fixture(scope="module")
def evented(tmp_path_factory, mariadb):
    work = tmp_path_factory.mktemp("evented")
    addons = copy_addons(work)
    shutil.copytree(os.path.join(SLOWAPP, "slowapp"), os.path.join(addons, "slowapp"))
    db = mariadb.options(mariadb.create_database())
    server = InphmsProcess(work, args=["--evented"], addons_path=addons, db_maxconn=600, **db)
    server.start()
    yield server
    server.stop()
    mariadb.drop_database(db["db_name"])


def test_500_slow_requests_at_once_in_one_process(evented):
    def one(n):
        return api(evented.port, "api_slow", timeout=120)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(500) as pool:
        answers = list(pool.map(one, range(500)))
    elapsed = time.monotonic() - started
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
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(evented.port), "100000", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = evented.log().count("HTTP service (gevent)")
    time.sleep(1.5)
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
