"""Slow and bursty clients against the real server, at the sizes of issue 23.

    python tests/bench/slow_clients.py [uploads] [calls] [slowloris]

- uploads: 300 uploads sending one body byte every 2 s for 30 s beside 3
  normal clients (GET of a static file, a new connection each); the
  normal clients' p50/p99 during the uploads and after they stop.
- calls: 400 API calls of 15 s each at once; how many got 200, 503 (with
  Retry-After) or nothing before the connection closed.
- slowloris: 1,100 connections sending a header line every 0.5 s for 30 s
  to a server limited to 1,024 open files, beside the normal clients.

Each starts its own server (sqlite, default HTTP settings) and prints one
line of figures.  Loopback only, bounded in count and time.  The lighter
pytest proofs of the same rules are tests/runtime/test_http_load.py and
test_httppool.py.
"""
import json
import selectors
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.http11 import make_addon  # noqa: E402
from tests.support.load import Normal, crowd, limit_files_to_1024, p99  # noqa: E402
from tests.support.server import InphmsProcess  # noqa: E402

CROWD_SECONDS = 30.0


def server(workdir, **popen):
    addons = Path(workdir) / "addons"
    addons.mkdir(parents=True)
    make_addon(str(addons))
    return InphmsProcess(workdir, addons_path=str(addons), max_cron_threads=0).start(**popen)


def normal_figures(normal, start, end):
    took = normal.between(start, end)
    ok = sorted(t for t in took if t is not None)
    if not ok:
        return f"{len(took)} requests, none answered"
    return (f"{len(took)} requests, {len(took) - len(ok)} failed, "
            f"p50 {ok[len(ok) // 2] * 1000:.0f} ms, p99 {p99(ok) * 1000:.0f} ms")


def uploads(workdir):
    srv = server(workdir)
    try:
        normal = Normal(srv.port).start()
        time.sleep(1.0)
        head = (b"POST /cgi-bin/api?meth=api_h11_echo HTTP/1.1\r\nHost: t\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        start = time.monotonic()
        socks = crowd(srv.port, 300, head, b" ", 2.0, CROWD_SECONDS)
        end = time.monotonic()
        for sock in socks:
            sock.close()
        time.sleep(3.0)
        normal.finish()
        after = [t for t in normal.between(end, end + 3.0) if t is not None]
        print(f"300 slow uploads, {CROWD_SECONDS:.0f} s: normal clients during: "
              f"{normal_figures(normal, start, end)}; first 1 s after: "
              f"{normal_figures(normal, end, end + 1.0)}; after: {len(after)} answered", flush=True)
    finally:
        srv.stop()


def calls(workdir, count=400, seconds=15):
    srv = server(workdir)
    try:
        body = json.dumps({"info": {}, "input": {"s": seconds}}).encode()
        raw = (b"POST /cgi-bin/api?meth=api_h11_slow HTTP/1.1\r\nHost: t\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        selector = selectors.DefaultSelector()
        start = time.monotonic()
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", srv.port))
            sock.sendall(raw)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, [b""])
        results = {"200": 0, "503": 0, "other": 0, "dropped": 0}
        retry_after = 0
        last = 0.0
        deadline = start + seconds * 8
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(1.0):
                sock, got = key.fileobj, key.data
                try:
                    more = sock.recv(65536)
                except OSError:
                    more = b""
                got[0] += more
                if more and b"\r\n\r\n" not in got[0]:
                    continue
                head = got[0].split(b"\r\n\r\n", 1)[0]
                if not head:
                    results["dropped"] += 1
                else:
                    status = head.split(b" ", 2)[1].decode()
                    results[status if status in results else "other"] += 1
                    retry_after += b"Retry-After:" in head
                last = time.monotonic() - start
                selector.unregister(sock)
                sock.close()
        unanswered = len(selector.get_map())
        print(f"{count} calls of {seconds} s at once: {results['200']} answered 200, "
              f"{results['503']} 503 ({retry_after} with Retry-After), {results['other']} other, "
              f"{results['dropped']} closed unanswered, {unanswered} still open; "
              f"last answer at {last:.1f} s", flush=True)
    finally:
        srv.stop()


def slowloris(workdir):
    srv = server(workdir, preexec_fn=limit_files_to_1024)
    try:
        normal = Normal(srv.port).start()
        time.sleep(1.0)
        start = time.monotonic()
        socks = crowd(srv.port, 1100, b"GET /lib/small.txt HTTP/1.1\r\nHost: t\r\n", b"X-a: b\r\n",
                      0.5, CROWD_SECONDS)
        end = time.monotonic()
        normal.finish()
        for sock in socks:
            sock.close()
        print(f"1,100 slowloris under RLIMIT_NOFILE 1024, {CROWD_SECONDS:.0f} s: normal clients: "
              f"{normal_figures(normal, start, end)}", flush=True)
    finally:
        srv.stop()


def main(names):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    scenarios = {"uploads": uploads, "calls": calls, "slowloris": slowloris}
    for name in names or scenarios:
        with tempfile.TemporaryDirectory() as workdir:
            scenarios[name](workdir)


if __name__ == "__main__":
    main(sys.argv[1:])
