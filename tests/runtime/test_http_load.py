"""Slow and many clients cannot take the real server: figures, kept short.

Each test starts the server in a subprocess with its defaults (two request
threads, lending after 100 ms), sets a crowd of bad clients on it from one
thread of this process, and meanwhile has a few normal clients ask for a
static file, a fresh connection per request, timing each:

- 300 uploads sending their body one byte every 2 s (the body waits in the
  poller, not in a request thread): normal clients answered with p99 under
  1 s throughout, and at once after the uploads stop;
- 1,100 slowloris connections (a header line every 0.5 s) on a server
  limited to 1,024 open files: the server sheds the oldest trickling heads
  at the limit instead of refusing, and normal clients are still served.

The long versions with the issue's full figures (400 calls of 15 s, longer
crowds) are in tests/bench/slow_clients.py.
"""
import resource
import time

import pytest

from tests.support.http11 import make_addon
from tests.support.load import Normal, crowd, limit_files_to_1024, p99
from tests.support.server import InphmsProcess

@pytest.fixture
def server_factory(tmp_path):
    servers = []

    def start(**popen):
        workdir = tmp_path / f"s{len(servers)}"
        addons = workdir / "addons"
        addons.mkdir(parents=True)
        make_addon(str(addons))
        server = InphmsProcess(workdir, addons_path=str(addons), max_cron_threads=0)
        servers.append(server)
        return server.start(**popen)

    yield start
    for server in servers:
        server.stop()


def test_300_slow_uploads_beside_normal_clients(server_factory):
    server = server_factory()
    normal = Normal(server.port).start()
    time.sleep(0.5)
    head = (b"POST /cgi-bin/api?meth=api_h11_echo HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    started = time.monotonic()
    uploads = crowd(server.port, 300, head, b" ", 2.0, 6.0)
    crowd_end = time.monotonic()
    for sock in uploads:
        sock.close()
    time.sleep(1.5)
    normal.finish()
    during = normal.between(started, crowd_end)
    after = normal.between(crowd_end, crowd_end + 1.0)
    assert during and after
    assert None not in during, "a normal request failed during the uploads"
    assert p99(during) < 1.0, f"normal p99 {p99(during):.2f} s during the uploads"
    assert None not in after and max(after) < 1.0
    assert "Traceback" not in server.log()


def raise_own_file_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip(f"this process may open only {hard} files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def test_1100_slowloris_under_1024_open_files(server_factory):
    raise_own_file_limit(1400)
    server = server_factory(preexec_fn=limit_files_to_1024)
    normal = Normal(server.port).start()
    started = time.monotonic()
    loris = crowd(server.port, 1100, b"GET /lib/small.txt HTTP/1.1\r\nHost: t\r\n",
                  b"X-a: b\r\n", 0.5, 6.0)
    crowd_end = time.monotonic()
    normal.finish()
    for sock in loris:
        sock.close()
    during = normal.between(started + 1.0, crowd_end)
    assert during
    failed = during.count(None)
    assert not failed, f"{failed} of {len(during)} normal requests failed"
    assert p99(during) < 2.0, f"normal p99 {p99(during):.2f} s during the slowloris"
    assert "out of file descriptors" in server.log()
