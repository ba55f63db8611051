"""Server CPU time per request of a threaded ``python inphms-bin``, the quick look.

    python tests/bench/cpu_per_request.py [--conns 1] [--seconds 4] [--mysql] [--granian]
                                          [--only static,dashboard,api] [--options k=v,k=v]

A change to the HTTP layer is judged by what it costs the server per
request, which moves much less than requests/s on a shared machine: this
starts one threaded server of this checkout on a fresh database (SQLite,
or with ``--mysql`` a private MariaDB flushing its redo log at every
commit, as in the benchmark; loopback, a free port), logs in once, and for
the static file, the dashboard and the API prints one answer's size, runs
wrk (one thread, ``--conns`` keep-alive connections, ``--seconds`` s after
a 1 s warm-up) and prints the server's CPU time (user + system from
/proc/<pid>/stat, its live child processes included, and system alone)
divided by the answers wrk counted; with ``--mysql`` also MariaDB's CPU
and the statements it ran per request.

``--granian`` serves the same configuration with granian running
``inphms.wsgi:application`` in one worker: the reference for the HTTP
layer.  ``--options`` adds server options (``max_http_requests=3``), and
the server's pid is printed first, for a sampling profiler.
tests/bench/run.py is the side-by-side benchmark; this is the quick look
between two changes (run it a few times, alternating, and compare medians).
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

from tests.support.mariadb import MariaDB  # noqa: E402
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
    """(user + system, system) seconds the process and its live descendants have used."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    total, system = (int(fields[11]) + int(fields[12])) / tick, int(fields[12]) / tick
    for child in children(pid):
        more = cpu(child)
        total, system = total + more[0], system + more[1]
    return total, system


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conns", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--mysql", action="store_true", help="a private MariaDB, not SQLite")
    parser.add_argument("--only", default="static,dashboard,api", help="endpoints, comma separated")
    parser.add_argument("--options", default="", help="server options: key=value,key=value")
    parser.add_argument("--granian", action="store_true",
                        help="serve with granian running inphms.wsgi:application (one worker)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="inphms-cpu-")
    port = free_port()
    conf, out = os.path.join(tmp, "inphms.conf"), os.path.join(tmp, "out")
    options = dict(item.split("=", 1) for item in args.options.split(",") if item)
    db, db_pid = None, None
    if args.mysql:
        db = MariaDB(os.path.join(tmp, "mariadb"), durable=True).start()
        options.update(db.options(db.create_database("inphms_cpu")))
        db_pid = db.proc.pid
    write_config(conf, http_interface="127.0.0.1", http_port=port, log_level="warning",
                 data_dir=os.path.join(tmp, "data"), logfile=os.path.join(tmp, "inphms.log"),
                 addons_path=str(ROOT / "tests/bench/addons"), max_cron_threads=0, **options)
    command, env = [sys.executable, str(ROOT / "inphms-bin"), "-c", conf], None
    password = None
    if args.granian:
        # inphms.wsgi creates no first admin: make one as an operator would
        password = "bench-" + os.urandom(6).hex()
        subprocess.run([sys.executable, str(ROOT / "inphms-bin"), "user", "add", "admin",
                        "--roles", "admin", "-c", conf], input=password + "\n", text=True,
                       cwd=ROOT, check=True, capture_output=True, timeout=60)
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-ws",
                   "--working-dir", str(ROOT), "inphms.wsgi:application"]
        env = dict(os.environ, INPHMS_RC=conf)
    with open(out, "w") as handle:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    print(f"server pid {proc.pid}", flush=True)

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
        if password is None:
            with open(out) as handle:
                password = re.search(r"user 'admin' created with password (\S+)",
                                     handle.read()).group(1)
        login = {"info": {}, "input": {"u": "admin", "p": password}}
        ses = json.loads(http("/cgi-bin/api?meth=api_login", login))["server"]["ses"]
        script = os.path.join(tmp, "api.lua")
        with open(script, "w") as handle:
            handle.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                         f'wrk.body = \'{{"info":{{"ses":"{ses}"}},"input":{{"n":1}}}}\'\n')
        endpoints = (("static", STATIC, None), ("dashboard", PAGE.format(ses=ses), None),
                     ("api", API, script))
        for name, path, lua in (e for e in endpoints if e[0] in args.only.split(",")):
            url = f"http://127.0.0.1:{port}{path}"
            first = http(path, {"info": {"ses": ses}, "input": {"n": 1}} if lua else None)
            title = re.search(rb"<title>([^<]*)</title>", first)
            print(f"{name}: the answer is {len(first)} bytes"
                  f"{', title ' + title.group(1).decode() if title else ''}", flush=True)
            base = ["wrk", "-t1", f"-c{args.conns}"] + (["-s", lua] if lua else [])
            subprocess.run(base + ["-d1", url], capture_output=True, timeout=30)     # warm-up
            before, db_before = cpu(proc.pid), db_pid and cpu(db_pid)
            said_before = db and statements(db)
            result = subprocess.run(base + [f"-d{args.seconds}", url], capture_output=True,
                                    text=True, timeout=args.seconds + 30).stdout
            after, db_after = cpu(proc.pid), db_pid and cpu(db_pid)
            said_after = db and statements(db)
            count = int(re.search(r"(\d+) requests in", result).group(1))
            rate = re.search(r"Requests/sec:\s+([\d.]+)", result).group(1)
            bad = re.search(r"Non-2xx or 3xx responses: \d+", result)
            print(f"{name}: {count} requests, {rate} req/s, CPU "
                  f"{(after[0] - before[0]) / count * 1e6:.0f} us/req "
                  f"(system {(after[1] - before[1]) / count * 1e6:.0f})"
                  f"{db_line(db_before, db_after, count)}{'; ' + bad.group(0) if bad else ''}",
                  flush=True)
            if db:
                print(f"{name}: per request, " + ", ".join(
                    f"{key} {(said_after[key] - said_before[key]) / count:.2f}"
                    for key in said_after if said_after[key] != said_before[key]), flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
        if db is not None:
            db.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def statements(db):
    """MariaDB's counters of statements and round trips, from a connection of its own."""
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', "
                    "'Com_update', 'Com_insert', 'Com_set_option', 'Com_commit', 'Com_begin', "
                    "'Com_rollback', 'Com_admin_commands', 'Connections')")
        return {name: int(value) for name, value in cur.fetchall()}


def db_line(before, after, count):
    if not before:
        return ""
    return f", MariaDB {(after[0] - before[0]) / count * 1e6:.0f} us/req"


if __name__ == "__main__":
    main()
