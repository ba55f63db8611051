"""Server CPU time per request of a threaded ``python inphms-bin``, on SQLite.

    python tests/bench/cpu_per_request.py [--conns 1] [--seconds 4]

A change to the HTTP layer is judged by what it costs the server per
request, which moves much less than requests/s on a shared machine: this
starts one threaded server of this checkout on a fresh SQLite database
(loopback, a free port), logs in once, and for the static file, the
dashboard and the API runs wrk (one thread, ``--conns`` keep-alive
connections, ``--seconds`` s after a 1 s warm-up) and prints the server's
CPU time (user + system from /proc/<pid>/stat, and system alone) divided
by the answers wrk counted.  tests/bench/run.py is the side-by-side
benchmark; this is the quick look between two changes (run it a few times,
alternating, and compare medians).
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.server import write_config  # noqa: E402

STATIC = "/lib/kicdev.server.js"
PAGE = "/cgi-bin/p?app=start&ses={ses}&rpage=dashboard"
API = "/cgi-bin/api?meth=api_bench_save"
START_WAIT = 30.0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu(pid):
    """(user + system, system) seconds the process has used."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, int(fields[12]) / tick


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conns", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="inphms-cpu-")
    port = free_port()
    conf, out = os.path.join(tmp, "inphms.conf"), os.path.join(tmp, "out")
    write_config(conf, http_interface="127.0.0.1", http_port=port, log_level="warning",
                 data_dir=os.path.join(tmp, "data"), logfile=os.path.join(tmp, "inphms.log"),
                 addons_path=str(ROOT / "tests/bench/addons"), max_cron_threads=0)
    with open(out, "w") as handle:
        proc = subprocess.Popen([sys.executable, str(ROOT / "inphms-bin"), "-c", conf], cwd=ROOT,
                                stdout=handle, stderr=subprocess.STDOUT)

    def http(path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data, timeout=10) as answer:
            return answer.read()
    try:
        deadline = time.monotonic() + START_WAIT
        while True:
            try:
                http(STATIC)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start (see {out})")
                time.sleep(0.1)
        with open(out) as handle:
            password = re.search(r"user 'admin' created with password (\S+)", handle.read()).group(1)
        login = {"info": {}, "input": {"u": "admin", "p": password}}
        ses = json.loads(http("/cgi-bin/api?meth=api_login", login))["server"]["ses"]
        script = os.path.join(tmp, "api.lua")
        with open(script, "w") as handle:
            handle.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                         f'wrk.body = \'{{"info":{{"ses":"{ses}"}},"input":{{"n":1}}}}\'\n')
        for name, path, lua in (("static", STATIC, None), ("dashboard", PAGE.format(ses=ses), None),
                                ("api", API, script)):
            url = f"http://127.0.0.1:{port}{path}"
            base = ["wrk", "-t1", f"-c{args.conns}"] + (["-s", lua] if lua else [])
            subprocess.run(base + ["-d1", url], capture_output=True, timeout=30)     # warm-up
            before = cpu(proc.pid)
            result = subprocess.run(base + [f"-d{args.seconds}", url], capture_output=True,
                                    text=True, timeout=args.seconds + 30).stdout
            after = cpu(proc.pid)
            count = int(re.search(r"(\d+) requests in", result).group(1))
            rate = re.search(r"Requests/sec:\s+([\d.]+)", result).group(1)
            bad = re.search(r"Non-2xx or 3xx responses: \d+", result)
            print(f"{name}: {count} requests, {rate} req/s, CPU "
                  f"{(after[0] - before[0]) / count * 1e6:.0f} us/req "
                  f"(system {(after[1] - before[1]) / count * 1e6:.0f}){'; ' + bad.group(0) if bad else ''}",
                  flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
