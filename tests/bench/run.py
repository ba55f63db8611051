"""The benchmark: inphms beside Flask, granian, nginx, bare hello-worlds and Flyton CGI.

    python tests/bench/run.py [--quick] [--modes threaded,workers2,evented]
                              [--variant NAME=MODE:OPTIONS ...]
                              [--seconds N] [--reps N] [--conns 16,64]
                              [--memory] [--profile [N]] [--no-cgi] [--out FILE] [--chart SVG]

One command starts everything on this machine (loopback only), measures with
wrk, stops everything and prints one table:

- a private MariaDB (tests/support/mariadb.py, durable: redo log flushed at
  every commit) and a fresh database;
- inphms in each mode of --modes (threaded = ``python inphms-bin``,
  workers2 = ``--workers 2``, evented = ``--evented``), log_level warning,
  with the bench addon of tests/bench/addons (``api_bench_save``).  A mode
  whose server refuses to start is reported "not available".  Each
  --variant adds one more inphms server: MODE's command with OPTIONS added
  (``threaded1=threaded:--max-http-requests 1``), measured, paired and
  judged as MODE is, so a setting can be compared with the default in the
  same run;
- the reference, reference_app.py under gunicorn (gthread, 8 threads) with
  as many worker processes as the inphms mode it is paired with: 1 worker for
  threaded and evented, 2 workers for workers2.  Same database, same ses
  rows, same queries, byte-identical dashboard HTML (checked first);
- the bare hello-world (hello.py) under the same gunicorn settings and under
  werkzeug's ThreadedWSGIServer, answering as many bytes as the static file;
- granian (a Rust HTTP server) serving inphms's own Application
  (``inphms.wsgi:application``) and the Flask reference, at each process count;
- nginx serving the static file from the web addon's folder, with as many
  worker processes: the ceiling for static files (static only);
- Flyton as CGI: cgi/p.py under a private Apache (mpm_event + mod_cgid), or
  the standard-library runner of cgi/runner.py when Apache is missing.

Endpoints, each at every connection count of --conns (wrk -t 2):
  dashboard  GET  /cgi-bin/p?app=start&ses=TOKEN&rpage=dashboard
  api        POST /cgi-bin/api?meth=api_bench_save  (add2ses; the tokens rotate)
  static     GET  /lib/kicdev.server.js   (the hello-worlds: GET /)
All servers run at once and take turns: for each endpoint and connection
count, every server gets a warm-up, then --reps runs of --seconds each, in
alternating order, and the table shows the medians.  So slow drifts of the
machine or of the database (the api's writes change it as the run goes on)
hit inphms and its reference alike.  The CGI reference gets one long run
per connection count, and the run waits until Apache has finished the
scripts wrk left behind before it goes on; its requests/s are connections
divided by the mean duration of its requests, from its own log
(``SteadyRate``: wrk's count leaves out the request each connection still
waits for when the run ends, which is seconds of work for CGI).  RSS is
VmRSS from /proc/<pid>/status of the server and all its children after the
last run of each endpoint.  CPU us/req
is the CPU time (user + system, /proc/<pid>/stat) the server's processes used
during a wrk run divided by the answers wrk counted, DB us/req the same for
mariadbd; the median of the runs.  The machine is shared by the server,
MariaDB and wrk, so when it is saturated req/s follows the CPU a request
costs; that figure moves much less between runs than req/s does.

--memory adds 100,000 requests per inphms mode (dashboard, api and static in
turn, 16 connections), RSS sampled after 50,000 and 100,000.  --profile runs
the threaded server once more under cProfile (CPU time of each request
thread) on the dashboard and prints the top functions by cumulative and by
own time.  --quick: 1 s per figure (5 s for CGI), 1 run, 16 connections, no
warm-up (a smoke run).  A full run (not --quick) also draws its table as
docs/performance.svg (chart.py); --chart SVG writes the chart elsewhere.
Every wrk run is bounded in time; nothing is sent anywhere but 127.0.0.1.
"""
import argparse
import html
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH / "cgi"))

from tests.support.mariadb import MariaDB, find_binary  # noqa: E402
from tests.support.server import write_config  # noqa: E402
from tests.bench import chart  # noqa: E402
from apache import CgiSite  # noqa: E402

MODES = {"threaded": ([], 1), "workers2": (["--workers", "2"], 2), "evented": (["--evented"], 1),
         "workers2evented": (["--workers", "2", "--evented"], 2)}
BASE_MODES = tuple(MODES)       # --variant adds to MODES, on top of one of these
VARIANT_RE = re.compile(r"([a-z][a-z0-9-]*)=([a-z0-9]+):(.*)", re.S)
PAGE = "/cgi-bin/p?app=start&ses={ses}&rpage=dashboard"
API = "/cgi-bin/api?meth=api_bench_save"
STATIC = "/lib/kicdev.server.js"
GROUPS = ("dashboard", "api", "static")
GUNICORN_THREADS = 8
MEMORY_REQUESTS = 100_000
MEMORY_MAX_SECONDS = 600        # bound of each half of the memory phase
MEMORY_CHUNK = 10               # seconds of one wrk run of the memory phase
WRK_THREADS = 2
CGI_SECONDS = 30                # the CGI reference: one run of this length (seconds per request)
CGI_SECONDS_QUICK = 5
RSS_LIMIT_MB = 60
RSS_NOISE_MB = 1.0              # growth up to this over the last half counts as none

DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"p50\":%d,\"p99\":%d," ..
    "\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# The api body rotates over the sessions: one request per token, built once.
API_LUA = r"""
local tokens = {%(tokens)s}
local reqs = {}
local i = 0
init = function(args)
  for k, t in ipairs(tokens) do
    reqs[k] = wrk.format("POST", "%(api)s", {["Content-Type"] = "application/json"},
      '{"info":{"ses":"' .. t .. '"},"input":{"n":' .. k .. '}}')
  end
end
request = function()
  i = i + 1
  return reqs[(i %% #reqs) + 1]
end
"""

# --memory: dashboard, api and static in turn; each thread stops after its quota.
MIXED_LUA = r"""
local tokens = {%(tokens)s}
local quota = %(quota)d
local reqs = {}
local i = 0
local seen = 0
init = function(args)
  for k, t in ipairs(tokens) do
    table.insert(reqs, wrk.format("GET", "%(page)s" .. t .. "&rpage=dashboard"))
    table.insert(reqs, wrk.format("POST", "%(api)s", {["Content-Type"] = "application/json"},
      '{"info":{"ses":"' .. t .. '"},"input":{"n":' .. k .. '}}'))
    table.insert(reqs, wrk.format("GET", "%(static)s"))
  end
end
request = function()
  i = i + 1
  return reqs[(i %% #reqs) + 1]
end
response = function(status, headers, body)
  seen = seen + 1
  if seen >= quota then
    wrk.thread:stop()
  end
end
"""


def say(text):
    print(text, file=sys.stderr, flush=True)


# processes
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            # the name is in parentheses and may hold spaces and parentheses
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_tree(pid):
    """pid and all its descendants, parents first."""
    kids = {}
    for name in os.listdir("/proc"):
        fields = stat_fields(name) if name.isdigit() else None
        if fields:
            kids.setdefault(int(fields[1]), []).append(int(name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        tree.append(p)
        todo.extend(sorted(kids.get(p, [])))
    return tree


def cpu_seconds(pids):
    """CPU time (user + system) the processes used, with that of their children they waited for.

    Counting the waited-for children keeps a process that ended during a run
    (a recycled worker, reaped by its master) in the figure.
    """
    ticks = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields:
            ticks += sum(int(x) for x in fields[11:15])     # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def die_with_parent():
    """preexec_fn: the server gets SIGTERM when run.py dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)    # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Service:
    """A server in a subprocess of its own session, its output in a log file."""

    def __init__(self, name, cmd, port, workdir, env=None):
        self.name, self.cmd, self.port = name, cmd, port
        self.log = os.path.join(workdir, re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".log")
        self.env = env or dict(os.environ)
        self.proc = None
        self.reason = ""

    def start(self, timeout=60):
        """True when the port answers; False (reason set) when the process exits first."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                                         env=self.env, stdin=subprocess.DEVNULL,
                                         start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.reason = f"exit {self.proc.returncode}: {self.last_line()}"
                self.proc = None
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        self.reason = f"not listening after {timeout} s: {self.last_line()}"
        self.stop()
        return False

    def last_line(self):
        try:
            with open(self.log, errors="replace") as handle:
                lines = [x.strip() for x in handle if x.strip() and "security risk" not in x]
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def rss(self):
        """[MB of each process of the server's tree], the server first."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [r for r in (rss_mb(p) for p in process_tree(self.proc.pid)) if r is not None]

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        # what is left of the process group started for this server (pgid = its pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        self.proc = None


class Contender:
    """One server of the run: what it answers and what it is compared with."""

    def __init__(self, label, procs, service, endpoints, pair=None, timeout=10, show_rss=True,
                 seconds=0, reps=0, busy_marker=None, timing_log=None):
        self.label = label
        self.procs = procs                  # as shown in the table
        self.service = service
        self.endpoints = dict(endpoints)    # group -> endpoint it answers
        self.pair = pair or {}              # group -> label of the server it is compared with
        self.timeout = timeout              # wrk --timeout, seconds
        self.show_rss = show_rss
        self.seconds = seconds              # length of its runs when not --seconds
        self.reps = reps                    # number of its runs when not --reps
        self.busy_marker = busy_marker      # cmdline of work still running after wrk has gone
        self.timing_log = timing_log        # its log of request durations (SteadyRate)


# HTTP checks
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def http(port, path, body=None, timeout=60):
    """(status, body bytes) of one request; redirects are not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check(port, endpoint, ctx):
    """'' when the endpoint answers as it must, else what is wrong."""
    tok = ctx.tokens[0]
    try:
        if endpoint == "dashboard":
            status, body = http(port, PAGE.format(ses=tok))
            if status != 200:
                return f"dashboard answered {status}"
            if body != ctx.page:
                return f"dashboard HTML differs from inphms's ({len(body)} bytes, not {len(ctx.page)})"
            return ""
        if endpoint == "api":
            status, body = http(port, API, {"info": {"ses": tok}, "input": {"n": 0}})
            if status != 200 or json.loads(body)["server"].get("allow") != 1:
                return f"api answered {status}: {body[:200]!r}"
            return ""
        path = STATIC if endpoint == "static" else "/"
        status, body = http(port, path)
        if status != 200 or len(body) != ctx.static_size:
            return f"{endpoint} answered {status} with {len(body)} bytes, not {ctx.static_size}"
        return ""
    except (OSError, ValueError, KeyError) as exc:
        return f"{endpoint}: {exc}"


# wrk
def lua_list(tokens):
    return ",".join(f'"{t}"' for t in tokens)


def write_scripts(ctx):
    folder = os.path.join(ctx.tmp, "lua")
    os.makedirs(folder, exist_ok=True)
    scripts = {"get": DONE_LUA, "api": API_LUA % {"tokens": lua_list(ctx.tokens), "api": API} + DONE_LUA}
    paths = {}
    for name, text in scripts.items():
        paths[name] = os.path.join(folder, f"{name}.lua")
        with open(paths[name], "w") as handle:
            handle.write(text)
    return paths


def wrk(port, path, conns, seconds, script, timeout=10):
    """{"rps", "p50", "p99" (ms), "requests", "errors"} of one wrk run, or {"error": ...}."""
    cmd = ["wrk", "-t", str(min(WRK_THREADS, conns)), "-c", str(conns), "-d", f"{int(seconds)}s",
           "--timeout", f"{timeout}s", "-s", script, f"http://127.0.0.1:{port}{path}"]
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=seconds + timeout + 60)
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish"}
    m = re.search(r"^WRKJSON (\{.*\})$", done.stdout, re.M)
    if done.returncode or not m:
        return {"error": f"wrk failed: {done.stdout.strip()[-300:]}"}
    r = json.loads(m.group(1))
    seconds_run = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return {"rps": r["requests"] / seconds_run if seconds_run else 0.0, "p50": r["p50"] / 1000,
            "p99": r["p99"] / 1000, "requests": r["requests"], "errors": errors}


def target(ctx, endpoint):
    if endpoint == "dashboard":
        return PAGE.format(ses=ctx.tokens[0]), ctx.scripts["get"]
    if endpoint == "api":
        return API, ctx.scripts["api"]
    if endpoint == "static":
        return STATIC, ctx.scripts["get"]
    return "/", ctx.scripts["get"]


# the run
TMP_PREFIX = "inphms-bench-run-"


def remove_stale_folders():
    """Remove the temporary folders of runs that were killed (their pid is gone)."""
    top = tempfile.gettempdir()
    for name in os.listdir(top):
        m = re.fullmatch(re.escape(TMP_PREFIX) + r"(\d+)-\w+", name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue
        except ProcessLookupError:
            shutil.rmtree(os.path.join(top, name), ignore_errors=True)
        except PermissionError:
            continue


class Context:
    """What every part of the run needs: folders, database, tokens, expected answers."""

    def __init__(self, args):
        self.args = args
        remove_stale_folders()
        self.tmp = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")
        self.db = None
        self.db_options = {}
        self.tokens = []
        self.page = b""
        self.static_size = 0
        self.version = ""
        self.template = ""
        self.scripts = {}
        self.contenders = []
        self.rows = []
        self.memory = {}
        self.cgi_how = "not run"
        self.profile = ""
        self.services = []
        self.load_start = load_average()
        self.cpu_start = machine_cpu_ticks()

    def service(self, name, cmd, port, env=None):
        s = Service(name, cmd, port, self.tmp, env=env)
        self.services.append(s)
        return s

    def db_env(self):
        o = self.db_options
        return {"BENCH_DB_HOST": o["db_host"], "BENCH_DB_PORT": str(o["db_port"]),
                "BENCH_DB_USER": o["db_user"], "BENCH_DB_PASSWORD": o["db_password"],
                "BENCH_DB_NAME": o["db_name"], "BENCH_SERVER_VER": self.version,
                "BENCH_PAGE_TEMPLATE": self.template}

    def missing(self, label, procs, reason, endpoint="-"):
        self.rows.append({"server": label, "procs": procs, "endpoint": endpoint, "missing": reason})


def start_database(ctx):
    # parent/<pid>: a server left by a run that was killed is removed by the next one
    ctx.db = MariaDB.for_session(os.path.join(tempfile.gettempdir(), "inphms-bench-mariadb"), durable=True)
    if not ctx.db.available():
        raise SystemExit("run.py: MariaDB is not installed (apt-get install mariadb-server mariadb-client)")
    ctx.db.start()
    ctx.db_options = ctx.db.options(ctx.db.create_database("inphms_bench"))


def inphms_config(ctx):
    path = os.path.join(ctx.tmp, "inphms.conf")
    if not os.path.exists(path):
        write_config(path, http_interface="127.0.0.1", http_port=free_port(), log_level="warning",
                     data_dir=os.path.join(ctx.tmp, "data"), logfile=os.path.join(ctx.tmp, "inphms.log"),
                     addons_path=str(BENCH / "addons"), limit_memory_soft=4 * 1024 ** 3,
                     **ctx.db_options)
    return path


def inphms_service(ctx, mode, port):
    args, _ = MODES[mode]
    cmd = [sys.executable, str(ROOT / "inphms-bin"), "-c", inphms_config(ctx),
           "--http-port", str(port)] + args
    return ctx.service(f"inphms {mode}", cmd, port)


def setup_sessions(ctx):
    """First start: read the admin's password, log in once per token, keep the expected answers."""
    port = free_port()
    s = inphms_service(ctx, "threaded", port)
    if not s.start():
        raise SystemExit(f"run.py: inphms does not start: {s.reason}\n(log: {s.log})")
    try:
        password = None
        deadline = time.monotonic() + 30
        while password is None and time.monotonic() < deadline:
            with open(s.log, errors="replace") as handle:
                m = re.search(r"user 'admin' created with password (\S+)", handle.read())
            password = m.group(1) if m else None
            time.sleep(0.05)
        if password is None:
            raise SystemExit("run.py: the first start printed no admin password")
        for _ in range(4 if ctx.args.quick else 16):
            status, body = http(port, "/cgi-bin/api?meth=api_login",
                                {"info": {}, "input": {"u": "admin", "p": password}})
            answer = json.loads(body)["server"]
            if not answer.get("ses"):
                raise SystemExit(f"run.py: login failed: {answer}")
            ctx.tokens.append(answer["ses"])
        ctx.version = answer["server_ver"]
        status, ctx.page = http(port, PAGE.format(ses=ctx.tokens[0]))
        if status != 200 or b"id=dashboard" not in ctx.page:
            raise SystemExit(f"run.py: inphms's dashboard answered {status}")
        status, body = http(port, STATIC)
        ctx.static_size = len(body)
    finally:
        s.stop()


def write_page_template(ctx):
    """inphms's dashboard as the references' template: the token and the user's name as fields."""
    tok = ctx.tokens[0]
    conn = ctx.db.connect(ctx.db_options["db_name"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT data FROM ses WHERE id = %s", (tok,))
            data = json.loads(cur.fetchone()[0] or "{}")
    finally:
        conn.close()
    text = ctx.page.decode("utf-8").replace("{", "{{").replace("}", "}}")
    text = text.replace(urllib.parse.quote_plus(tok), "{ses}")
    name = html.escape(str(data.get("uname", "")))
    if name and text.count(name) == 1:
        text = text.replace(name, "{name}")
    folder = os.path.join(ctx.tmp, "page")
    os.makedirs(folder, exist_ok=True)
    ctx.template = os.path.join(folder, "dashboard.html")
    with open(ctx.template, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(folder, 0o755)
    os.chmod(ctx.template, 0o644)


def gunicorn_cmd(port, workers, app):
    return [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers), "--threads",
            str(GUNICORN_THREADS), "-b", f"127.0.0.1:{port}", "--chdir", str(BENCH), app]


def granian_cmd(port, workers, app, factory=False, workdir=ROOT):
    """granian (a Rust HTTP server) running a WSGI app, its own defaults otherwise."""
    cmd = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-ws",
           "--working-dir", str(workdir)]
    return cmd + (["--factory"] if factory else []) + [app]


def granian_label(kind, workers):
    return f"{kind} granian {workers}w"


def flask_label(workers):
    return f"flask {workers}w x {GUNICORN_THREADS}t"


def hello_label(workers):
    return f"hello gunicorn {workers}w x {GUNICORN_THREADS}t"


def start_contenders(ctx):
    """Start every server of the run; one that does not start gets a "not available" row."""
    args = ctx.args
    for mode in args.modes:
        _, procs = MODES[mode]
        label = f"inphms {mode}"
        s = inphms_service(ctx, mode, free_port())
        say(f"-- starting {label}")
        if not s.start():
            say(f"   not available: {s.reason}")
            ctx.missing(label, procs, s.reason)
            continue
        ctx.contenders.append(Contender(label, procs, s, {g: g for g in GROUPS},
                                        pair={"dashboard": flask_label(procs), "api": flask_label(procs),
                                              "static": hello_label(procs)}))
    workers_list = sorted({MODES[m][1] for m in args.modes})
    for workers in workers_list:
        port = free_port()
        env = dict(os.environ, **ctx.db_env())
        s = ctx.service(f"flask {workers}w", gunicorn_cmd(port, workers, "reference_app:create_app()"),
                        port, env=env)
        add_started(ctx, Contender(flask_label(workers), f"{workers}+m", s,
                                   {"dashboard": "dashboard", "api": "api"}))
    start_granian(ctx, workers_list)
    start_nginx(ctx, workers_list)
    hello_env = dict(os.environ, HELLO_BYTES=str(ctx.static_size))
    for workers in workers_list:
        port = free_port()
        s = ctx.service(f"hello gunicorn {workers}w", gunicorn_cmd(port, workers, "hello:app"), port,
                        env=hello_env)
        add_started(ctx, Contender(hello_label(workers), f"{workers}+m", s, {"static": "hello"}))
    port = free_port()
    s = ctx.service("hello werkzeug", [sys.executable, str(BENCH / "hello.py"), "--port", str(port)],
                    port, env=hello_env)
    add_started(ctx, Contender("hello werkzeug threaded", "1", s, {"static": "hello"}))
    if not args.no_cgi:
        start_cgi(ctx)


def start_granian(ctx, workers_list):
    """granian serving inphms's own Application (inphms.wsgi) and the Flask reference,
    at each process count: the Rust server as the reference for inphms's HTTP layer."""
    try:
        import granian  # noqa: F401
    except ImportError:
        for workers in workers_list:
            for kind in ("inphms", "flask"):
                ctx.missing(granian_label(kind, workers), str(workers), "pip install granian")
        return
    for workers in workers_list:
        port = free_port()
        env = dict(os.environ, INPHMS_RC=inphms_config(ctx))
        s = ctx.service(f"inphms granian {workers}w",
                        granian_cmd(port, workers, "inphms.wsgi:application"), port, env=env)
        add_started(ctx, Contender(granian_label("inphms", workers), str(workers), s,
                                   {g: g for g in GROUPS}))
        port = free_port()
        env = dict(os.environ, **ctx.db_env())
        s = ctx.service(f"flask granian {workers}w",
                        granian_cmd(port, workers, "reference_app:create_app", factory=True,
                                    workdir=BENCH), port, env=env)
        add_started(ctx, Contender(granian_label("flask", workers), str(workers), s,
                                   {"dashboard": "dashboard", "api": "api"}))


NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ application/javascript js; }}
    server {{
        listen 127.0.0.1:{port};
        location /lib/ {{ root {client}; }}
    }}
}}
"""


def start_nginx(ctx, workers_list):
    """nginx serving the same static file from the web addon's folder, at each process
    count: the ceiling for static files (C, sendfile, no Python)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    for workers in workers_list:
        label = f"nginx {workers}w"
        if nginx is None:
            ctx.missing(label, str(workers), "apt-get install nginx")
            continue
        port = free_port()
        tmp = os.path.join(ctx.tmp, f"nginx{workers}")
        os.makedirs(tmp, exist_ok=True)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as handle:
            handle.write(NGINX_CONF.format(workers=workers, tmp=tmp, port=port,
                                           client=ROOT / "inphms" / "addons" / "web" / "client"))
        s = ctx.service(label, [nginx, "-c", conf, "-p", tmp], port)
        add_started(ctx, Contender(label, str(workers), s, {"static": "static"}))


def add_started(ctx, contender):
    say(f"-- starting {contender.label}")
    if not contender.service.start():
        say(f"   not available: {contender.service.reason}")
        ctx.missing(contender.label, contender.procs, contender.service.reason)
        return
    ctx.contenders.append(contender)


def start_cgi(ctx):
    """Apache when it can be set up and starts here, else the standard-library runner."""
    site = CgiSite(os.path.join(ctx.tmp, "cgi"), ctx.db_env(), top=ctx.tmp)
    port = free_port()
    found = site.apache_command(port)
    if found is not None:
        s = ctx.service("flyton cgi apache", found[0], port)
        say("-- starting flyton cgi (apache2)")
        if s.start():
            ctx.cgi_how = found[1]
            ctx.contenders.append(cgi_contender(ctx, s, site))
            return
        site.why_not_apache = f"apache2 did not start: {s.reason}"
    say(f"   no Apache: {site.why_not_apache}; using the standard-library CGI runner")
    cmd, ctx.cgi_how = site.runner_command(port)
    s = ctx.service("flyton cgi runner", cmd, port, env=site.env())
    add_started(ctx, cgi_contender(ctx, s, site))


def cgi_contender(ctx, service, site):
    """One long run per connection count: with 64 connections a request waits many seconds."""
    seconds = CGI_SECONDS_QUICK if ctx.args.quick else CGI_SECONDS
    return Contender("flyton cgi", "per req", service, {"dashboard": "dashboard"}, timeout=120,
                     show_rss=False, seconds=max(seconds, ctx.args.seconds), reps=1,
                     busy_marker=os.path.join(site.cgi_bin, "p").encode(),
                     timing_log=site.timing_log)


def measure_all(ctx):
    """For each endpoint group and connection count: every server in turn, --reps times."""
    args = ctx.args
    for group in GROUPS:
        players = []
        for c in ctx.contenders:
            if group not in c.endpoints:
                continue
            wrong = check(c.service.port, c.endpoints[group], ctx)
            if wrong:
                say(f"   {c.label} {group}: {wrong}")
                ctx.missing(c.label, c.procs, f"check failed: {wrong}", c.endpoints[group])
                continue
            players.append(c)
        for conns in args.conns:
            runs = {c.label: [] for c in players}
            if args.warmup:
                for c in players:
                    path, script = target(ctx, c.endpoints[group])
                    wrk(c.service.port, path, conns, args.warmup, script, c.timeout)
                    wait_idle(c)
            for rep in range(args.reps):
                order = players if rep % 2 == 0 else players[::-1]
                for c in order:
                    if rep >= (c.reps or args.reps):
                        continue
                    path, script = target(ctx, c.endpoints[group])
                    cpu = CpuMeter(ctx, c)
                    steady = SteadyRate(c.timing_log) if c.timing_log else None
                    r = wrk(c.service.port, path, conns, c.seconds or args.seconds, script, c.timeout)
                    if steady:
                        steady.stop()
                    cpu.add_to(r)
                    runs[c.label].append(r)
                    wait_idle(c)
                    if steady:
                        steady.add_to(r, conns)
            for c in players:
                row = summarize(runs[c.label])
                row.update(server=c.label, procs=c.procs, endpoint=c.endpoints[group], conns=conns,
                           pair=c.pair.get(group), rss=c.service.rss() if c.show_rss else [])
                ctx.rows.append(row)
                counted = (f" (wrk counted {row['counted_rps']:,.1f})"
                           if "counted_rps" in row else "")
                say(f"   {c.label} {row['endpoint']} c{conns}: " + (row.get("error") or
                    f"{row['rps']:,.0f} req/s{counted} p50 {row['p50']:.1f} ms p99 {row['p99']:.1f} ms "
                    f"errors {row['errors']} cpu {fmt_us(row.get('cpu_us'))}+{fmt_us(row.get('db_us'))} us "
                    f"rss {fmt_rss(row['rss'])}"))


class CpuMeter:
    """CPU time per answered request of the server's processes and of MariaDB, over one wrk run.

    req/s moves with whatever else the machine does; the CPU a request costs
    moves much less, so it tells a real change of a server from noise.  Not
    for the CGI reference: Apache goes on running scripts after wrk stops,
    whose CPU no counted answer would carry.
    """

    def __init__(self, ctx, contender):
        counted = not contender.busy_marker
        self.server = contender.service.proc if counted else None
        self.db = ctx.db.proc if counted and ctx.db is not None else None
        self.start = self.read()

    def read(self):
        server = cpu_seconds(process_tree(self.server.pid)) if self.server else None
        db = cpu_seconds([self.db.pid]) if self.db else None
        return server, db

    def add_to(self, r):
        if "error" in r or not r["requests"]:
            return
        for key, before, after in zip(("cpu_us", "db_us"), self.start, self.read()):
            if before is not None:
                r[key] = (after - before) * 1e6 / r["requests"]


class SteadyRate:
    """A slow server's requests/s over one wrk run, from its own log of request durations.

    wrk divides the answers it counted by the run's length, and leaves out
    the requests still running when it stops: one per connection.  For a
    server that answers in milliseconds that is nothing; for Flyton CGI, at
    1-5 s a request, it is 2-8 % of a 30 s run's work, and the figure jumps
    with where the end of the run falls between answers.  Every connection
    always waits for one answer (wrk sends the next at once), so the server
    finishes connections / mean duration requests a second (Little's law);
    the mean is taken over the requests that began and ended within the run.
    """

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if os.path.exists(path) else 0
        self.began_us = time.time() * 1e6
        self.ended_us = None

    def stop(self):
        self.ended_us = time.time() * 1e6

    def durations(self):
        """Durations (us) of the requests logged since, that began and ended within the run."""
        found = []
        if not os.path.exists(self.path):
            return found
        with open(self.path) as handle:
            handle.seek(self.offset)
            for line in handle:
                fields = line.split()
                if len(fields) != 2 or not all(f.isdigit() for f in fields):
                    continue
                end, took = int(fields[0]), int(fields[1])
                if end - took >= self.began_us and end <= self.ended_us:
                    found.append(took)
        return found

    def add_to(self, r, conns):
        """Put the steady rate in r["rps"] (wrk's count kept in "counted_rps"); too few: unchanged."""
        if "error" in r:
            return
        durations = self.durations()
        if len(durations) < conns:
            return
        r["counted_rps"] = r["rps"]
        r["rps"] = conns * 1e6 / statistics.mean(durations)


def wait_idle(c, limit=180):
    """Wait until the requests wrk left behind are done (CGI scripts still running).

    Apache goes on running the scripts of the connections wrk closed; the next
    server measured must not share the machine with them.
    """
    if not c.busy_marker or c.service.proc is None:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = False
        for pid in process_tree(c.service.proc.pid)[1:]:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    busy = c.busy_marker in handle.read()
            except OSError:
                continue
            if busy:
                break
        if not busy:
            return
        time.sleep(0.2)


def summarize(runs):
    """Medians of the runs that worked; an error when none did."""
    for r in runs:
        if "error" not in r and not r["requests"]:
            r["error"] = "no request finished within the run"
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[0]["error"] if runs else "no run"}
    row = {"rps": statistics.median(r["rps"] for r in good),
           "p50": statistics.median(r["p50"] for r in good),
           "p99": statistics.median(r["p99"] for r in good),
           "requests": sum(r["requests"] for r in good),
           "errors": sum(r["errors"] for r in good) + sum(1 for r in runs if "error" in r),
           "runs": len(good)}
    for key in ("cpu_us", "db_us", "counted_rps"):
        values = [r[key] for r in good if key in r]
        if values:
            row[key] = statistics.median(values)
    return row


def mixed_script(ctx, quota):
    """The --memory script: each wrk thread stops after ``quota`` answers."""
    path = os.path.join(ctx.tmp, "lua", f"mixed{quota}.lua")
    with open(path, "w") as handle:
        handle.write(MIXED_LUA % {"tokens": lua_list(ctx.tokens), "page": PAGE.split("{ses}")[0],
                                  "quota": quota, "api": API, "static": STATIC} + DONE_LUA)
    return path


def send_mixed(ctx, port, count, deadline):
    """Send ``count`` requests (dashboard, api, static in turn); (sent, errors) or {"error"}.

    wrk runs for its whole -d even when its threads stop early, so the
    requests go in runs of at most MEMORY_CHUNK seconds, the last one sized
    from the rate of the previous ones and stopped at its quota by the script.
    """
    sent, errors, rate = 0, 0, 0.0
    while sent < count:
        if time.monotonic() > deadline:
            return {"error": f"only {sent:,} of {count:,} requests within {MEMORY_MAX_SECONDS} s"}
        left = count - sent
        seconds = MEMORY_CHUNK
        if rate:
            seconds = max(1, min(MEMORY_CHUNK, math.ceil(1.2 * left / rate) + 1))
        script = mixed_script(ctx, math.ceil(left / WRK_THREADS))
        r = wrk(port, "/", 16, seconds, script)
        if "error" in r:
            return r
        sent += r["requests"]
        errors += r["errors"]
        if seconds == MEMORY_CHUNK:
            rate = r["requests"] / seconds
    return {"sent": sent, "errors": errors}


def memory_phase(ctx):
    """Per inphms mode: 100,000 requests in two halves, RSS of every process after each half."""
    for c in ctx.contenders:
        if not c.label.startswith("inphms "):
            continue
        mode = c.label.split(" ", 1)[1]
        samples, done = [], 0
        say(f"-- {c.label}: {MEMORY_REQUESTS:,} requests for the memory check")
        for _ in range(2):
            r = send_mixed(ctx, c.service.port, MEMORY_REQUESTS // 2,
                           time.monotonic() + MEMORY_MAX_SECONDS)
            if "error" in r:
                ctx.memory[mode] = {"error": r["error"]}
                say(f"   failed: {r['error']}")
                break
            done += r["sent"]
            samples.append({"requests": done, "rss": c.service.rss(), "errors": r["errors"]})
            say(f"   after {done:,} requests: rss {fmt_rss(samples[-1]['rss'])} MB, errors {r['errors']}")
        else:
            ctx.memory[mode] = {"samples": samples}


# --profile: the threaded server under cProfile, every request thread profiled
def serve_profiled(out, server_args):
    """Run inphms in this process with a cProfile.Profile per request thread; dump at exit.

    Each thread's profile runs while the thread serves a connection (reads a
    head, runs the request), not while it waits for one.  The timer is the
    thread's CPU time, so what the profile shows is the work of the request
    threads, not their waiting (on MariaDB, on the GIL).
    """
    import atexit
    import cProfile
    import pstats
    import threading

    import inphms.cli
    import inphms.httpserver.pool

    profiles, lock = [], threading.Lock()
    local = threading.local()
    serve = inphms.httpserver.pool.RequestPool.serve

    def profiled(self, *args):
        p = getattr(local, "profile", None)
        if p is None:
            p = local.profile = cProfile.Profile(time.thread_time)
            with lock:
                profiles.append(p)
        p.enable()
        try:
            return serve(self, *args)
        finally:
            p.disable()

    def dump():
        with lock:
            if profiles:
                stats = pstats.Stats(profiles[0])
                for p in profiles[1:]:
                    stats.add(p)
                stats.dump_stats(out)

    inphms.httpserver.pool.RequestPool.serve = profiled
    atexit.register(dump)
    sys.argv = [str(ROOT / "inphms-bin")] + server_args
    return inphms.cli.main()


def short_paths(text):
    """Profile lines without this machine's folders."""
    for folder in sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib")}, key=len,
                         reverse=True):
        text = text.replace(folder + os.sep, "")
    return text.replace(str(ROOT) + os.sep, "")


def listing(text):
    """The table of a pstats print, without its preamble."""
    return text[text.index("   ncalls"):].rstrip() if "   ncalls" in text else text.rstrip()


def profile_phase(ctx):
    """Profile the dashboard in the threaded mode; the top functions by cumulative time."""
    import io
    import pstats
    out = os.path.join(ctx.tmp, "dashboard.prof")
    port = free_port()
    cmd = [sys.executable, str(BENCH / "run.py"), "--serve-profiled", out, "--", "-c",
           inphms_config(ctx), "--http-port", str(port)]
    s = ctx.service("inphms threaded profiled", cmd, port)
    say("-- inphms threaded under cProfile (dashboard, 16 connections)")
    if not s.start():
        return f"profiled server did not start: {s.reason}"
    path, script = target(ctx, "dashboard")
    r = wrk(port, path, 16, ctx.args.seconds * max(ctx.args.reps, 1), script)
    s.stop()
    if not os.path.exists(out):
        return "the profiled server wrote no profile"
    text = io.StringIO()
    stats = pstats.Stats(out, stream=text)
    total = stats.total_tt
    stats.sort_stats("cumulative").print_stats(ctx.args.profile)
    cumulative = listing(text.getvalue())
    text.seek(0)
    text.truncate()
    stats.sort_stats("tottime").print_stats(max(10, ctx.args.profile // 2))
    own = listing(text.getvalue())
    n = r.get("requests", 0)
    head = (f"dashboard under cProfile: {n:,} requests, {r.get('rps', 0):,.0f} req/s with the profiler on; "
            f"CPU time of the request threads {total:.2f} s = {1000 * total / max(n, 1):.2f} ms per request")
    return short_paths(f"{head}\nby cumulative time:\n{cumulative}\nby own time (tottime):\n{own}")


# the report
def fmt_us(value):
    return "-" if value is None else f"{value:,.0f}"


def fmt_rss(rss, digits=0):
    if not rss:
        return "-"
    return "+".join(f"{r:.{digits}f}" for r in rss)


def find(ctx, server, endpoint, conns):
    for r in ctx.rows:
        if r["server"] == server and r.get("endpoint") == endpoint and r.get("conns") == conns and "rps" in r:
            return r
    return None


def ref_row(ctx, row):
    """The row ``row`` is compared with (same group, same connections), or None."""
    if not row.get("pair"):
        return None
    endpoint = "hello" if row["endpoint"] == "static" else row["endpoint"]
    return find(ctx, row["pair"], endpoint, row["conns"])


def table(ctx):
    head = ["server", "procs", "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "errors",
            "compared with", "ratio", "CPU us/req", "DB us/req", "RSS MB"]
    lines = []
    for r in ctx.rows:
        if "missing" in r or "error" in r:
            cells = [r["server"], str(r["procs"]), r["endpoint"], str(r.get("conns", "-")),
                     "not available" if "missing" in r else "failed"]
            lines.append(cells + [""] * (len(head) - len(cells)))
            continue
        ref = ref_row(ctx, r)
        ratio = f"{r['rps'] / ref['rps']:.2f}x" if ref and ref["rps"] else "-"
        lines.append([r["server"], str(r["procs"]), r["endpoint"], str(r["conns"]), f"{r['rps']:,.0f}",
                      f"{r['p50']:.1f}", f"{r['p99']:.1f}", str(r["errors"]), ref["server"] if ref else "-",
                      ratio, fmt_us(r.get("cpu_us")), fmt_us(r.get("db_us")), fmt_rss(r["rss"])])
    widths = [max(len(x[i]) for x in [head] + lines) for i in range(len(head))]
    right = {1, 3, 4, 5, 6, 7, 9, 10, 11}

    def fmt(cells):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    notes = [f"- {' '.join(x for x in (r['server'], r['endpoint']) if x != '-')}: not available: "
             f"{r['missing']}" for r in ctx.rows if "missing" in r]
    notes += [f"- {r['server']} {r['endpoint']} c{r['conns']}: failed: {r['error']}"
              for r in ctx.rows if "error" in r]
    return "\n".join([fmt(head), sep] + [fmt(x) for x in lines] + ([""] + notes if notes else []))


def goals(ctx):
    """One line per goal and inphms mode: the figures, then met / NOT met."""
    out = []
    for mode in ctx.args.modes:
        label = f"inphms {mode}"
        if not any(r["server"] == label and "rps" in r for r in ctx.rows):
            why = next((r["missing"] for r in ctx.rows if r["server"] == label and "missing" in r),
                       "no figures")
            out.append(f"{label}: not available ({why})")
            continue
        _, procs = MODES[mode]
        out.append(f"{label} (paired with gunicorn {procs} worker{'s' if procs > 1 else ''} "
                   f"x {GUNICORN_THREADS} threads):")
        ratio = lambda a, b: a["rps"] / b["rps"]  # noqa: E731
        out.append(goal(ctx, "dashboard req/s >= 1.2x the Flask reference", label, "dashboard",
                        flask_label(procs), ratio, 1.2))
        out.append(goal(ctx, "dashboard p99 <= the Flask reference's p99", label, "dashboard",
                        flask_label(procs), lambda a, b: a["p99"] / b["p99"], 1.0, lower=True,
                        show=lambda a, b: f"{a['p99']:.1f} vs {b['p99']:.1f} ms"))
        out.append(goal(ctx, "dashboard req/s >= 100x Flyton CGI", label, "dashboard", "flyton cgi",
                        ratio, 100))
        out.append(goal(ctx, "api req/s >= 1.2x the Flask reference", label, "api", flask_label(procs),
                        ratio, 1.2))
        out.append(goal(ctx, "static req/s >= 0.8x the bare hello-world under gunicorn", label, "static",
                        hello_label(procs), ratio, 0.8, other="hello"))
        out.append(goal(ctx, "dashboard req/s >= inphms's Application under granian", label,
                        "dashboard", granian_label("inphms", procs), ratio, 1.0))
        out.append(goal(ctx, "api req/s >= inphms's Application under granian", label, "api",
                        granian_label("inphms", procs), ratio, 1.0))
        out.append(goal(ctx, "static req/s >= inphms's Application under granian", label, "static",
                        granian_label("inphms", procs), ratio, 1.0))
        if procs > 1:
            for endpoint in ("dashboard", "api"):
                out.append(goal(ctx, f"{endpoint} req/s >= 1.5x Flask under granian", label,
                                endpoint, granian_label("flask", procs), ratio, 1.5))
        out.append(memory_goal(ctx, mode))
    return "\n".join(out)


def goal(ctx, text, label, endpoint, ref, value, bar, lower=False, other=None, show=None):
    parts, ok, seen = [], True, False
    for conns in ctx.args.conns:
        a = find(ctx, label, endpoint, conns)
        b = find(ctx, ref, other or endpoint, conns)
        if not a or not b or not b["rps"] or not b["p99"]:
            parts.append(f"c{conns} n/a")
            continue
        seen = True
        v = value(a, b)
        ok = ok and (v <= bar if lower else v >= bar)
        parts.append(f"c{conns} {show(a, b) if show else f'{v:.2f}x'}")
    verdict = "not measured" if not seen else ("met" if ok else "NOT met")
    return f"  - {text}: {', '.join(parts)} -> {verdict}"


def memory_goal(ctx, mode):
    text = (f"  - RSS < {RSS_LIMIT_MB} MB per process after {MEMORY_REQUESTS:,} requests, "
            "no growth over the last half")
    m = ctx.memory.get(mode)
    if m is None:
        return text + ": not measured (run with --memory)"
    if "error" in m:
        return text + f": failed ({m['error']})"
    first, last = m["samples"]
    growth = [b - a for a, b in zip(first["rss"], last["rss"])]
    ok = bool(last["rss"]) and max(last["rss"]) < RSS_LIMIT_MB and max(growth) <= RSS_NOISE_MB
    return (text + f": {fmt_rss(first['rss'], 1)} MB after {first['requests']:,}, "
            f"{fmt_rss(last['rss'], 1)} MB after {last['requests']:,} "
            f"(growth {' '.join(f'{g:+.1f}' for g in growth)} MB) -> {'met' if ok else 'NOT met'}")


def load_average():
    """The 1-minute load average: other work on the machine disturbs the figures."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def machine_cpu_ticks():
    """The machine's CPU ticks so far, by kind: user nice system idle iowait irq softirq steal."""
    try:
        with open("/proc/stat") as handle:
            return [int(x) for x in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def stolen_share(start):
    """Share of the machine's CPU time its host gave to others since ``start`` (virtual machines)."""
    end = machine_cpu_ticks()
    if not start or not end or len(start) < 8 or len(end) < 8:
        return "?"
    spent = [b - a for a, b in zip(start, end)]
    return f"{100 * spent[7] / (sum(spent) or 1):.1f} %"


def machine():
    cpu, mem = "?", "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((x.split(":", 1)[1].strip() for x in handle if x.startswith("model name")), "?")
        with open("/proc/meminfo") as handle:
            kb = int(next(x for x in handle if x.startswith("MemTotal")).split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} cpus, {mem} RAM, "
            f"{platform.system()} {re.match(r'[0-9.]*', platform.release()).group(0)} {platform.machine()}")


def versions():
    def first_line(cmd):
        try:
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=30)
            return done.stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"
    mariadbd = find_binary("mariadbd", "mysqld")
    parts = [f"python {platform.python_version()}",
             "MariaDB " + first_line([mariadbd, "--version"]).split("Ver ", 1)[-1].split("-")[0],
             first_line(["wrk", "--version"]).split(" [")[0].replace("debian/", ""),
             "gunicorn " + first_line([sys.executable, "-m", "gunicorn", "--version"])
             .split("version ")[-1].rstrip(")"),
             "granian " + first_line([sys.executable, "-m", "granian", "--version"]).split()[-1]]
    return ", ".join(parts)


def cgi_line(ctx):
    """What ran as the CGI reference and how its requests/s were found."""
    rows = [r for r in ctx.rows if r.get("server") == "flyton cgi" and "error" not in r]
    if not rows:
        return f"flyton cgi: {ctx.cgi_how}"
    counted = [f"c{r['conns']} {r['counted_rps']:.1f}" for r in rows if "counted_rps" in r]
    if not counted:
        return f"flyton cgi: {ctx.cgi_how}; requests/s as wrk counted them"
    line = (f"flyton cgi: {ctx.cgi_how}; requests/s = connections / mean duration of the "
            "requests its log shows within the run (wrk counted " + ", ".join(counted) + ")")
    short = [f"c{r['conns']}" for r in rows if "counted_rps" not in r]
    if short:
        line += f"; too few logged for {', '.join(short)}: wrk's count"
    return line


def report(ctx, began):
    a = ctx.args
    lines = [f"machine: {machine()}",
             f"software: {versions()}",
             f"run: {a.reps} x {a.seconds:g} s per figure (medians), warm-up {a.warmup:g} s, wrk -t {WRK_THREADS}, "
             f"connections {','.join(map(str, a.conns))}; {len(ctx.tokens)} sessions (the api rotates over them); "
             f"dashboard {len(ctx.page):,} bytes; static {STATIC} {ctx.static_size:,} bytes "
             f"(the hello-worlds answer as many); total {time.monotonic() - began:.0f} s; "
             f"load average {ctx.load_start} at the start, {load_average()} at the end; "
             f"CPU time stolen by the host (steal) {stolen_share(ctx.cpu_start)} of the run",
             cgi_line(ctx),
             "procs: serving processes (+m = gunicorn's master); inphms threaded and evented are paired with "
             f"{flask_label(1)}, workers2 with {flask_label(2)}",
             "",
             table(ctx),
             "",
             "goals:",
             goals(ctx)]
    if ctx.profile:
        lines += ["", ctx.profile]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 s per figure, 1 run, 16 connections, no warm-up")
    parser.add_argument("--modes", default="threaded,workers2,evented",
                        help="inphms modes, comma separated: threaded, workers2, evented, "
                             "workers2evented")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=MODE:OPTIONS",
                        help="one more inphms server, MODE's command with OPTIONS added, measured and "
                             "judged as MODE (e.g. threaded1=threaded:--max-http-requests 1); repeatable")
    parser.add_argument("--seconds", type=int, help="seconds per wrk run (default 5, --quick 1)")
    parser.add_argument("--reps", type=int, help="runs per figure, the median is shown (default 3, --quick 1)")
    parser.add_argument("--conns", help="connection counts (default 16,64, --quick 16)")
    parser.add_argument("--memory", action="store_true",
                        help=f"add {MEMORY_REQUESTS:,} requests per inphms mode, RSS sampled at half and end")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                        help="also profile the threaded server on the dashboard (top N functions)")
    parser.add_argument("--no-cgi", action="store_true", help="leave out the Flyton CGI reference")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--chart", help="write the chart (SVG) here (default: docs/performance.svg, "
                                        "none with --quick)")
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in args.modes if m not in MODES]
    if bad or not args.modes:
        parser.error(f"unknown mode {', '.join(bad)} (known: {', '.join(MODES)})")
    for spec in args.variant:
        try:
            args.modes.append(add_variant(spec))
        except ValueError as exc:
            parser.error(str(exc))
    args.seconds = args.seconds or (1 if args.quick else 5)
    args.reps = args.reps or (1 if args.quick else 3)
    args.conns = [int(c) for c in (args.conns or ("16" if args.quick else "16,64")).split(",")]
    args.warmup = 0 if args.quick else 2
    return args


def add_variant(spec):
    """Register NAME=MODE:OPTIONS as the mode NAME of this run; its name.

    OPTIONS are split as a shell would.  A variant keeps its mode's process
    count, which picks the reference it is paired with, so it may not set
    ``--workers``.
    """
    m = VARIANT_RE.fullmatch(spec.strip())
    if not m:
        raise ValueError(f"--variant {spec!r}: expected NAME=MODE:OPTIONS, NAME in a-z0-9-")
    name, mode, options = m.groups()
    if name in MODES:
        raise ValueError(f"--variant {spec!r}: the name {name} is taken")
    if mode not in BASE_MODES:
        raise ValueError(f"--variant {spec!r}: unknown mode {mode} (known: {', '.join(BASE_MODES)})")
    try:
        extra = shlex.split(options)
    except ValueError as exc:
        raise ValueError(f"--variant {spec!r}: {exc}") from None
    if any(arg == "--workers" or arg.startswith("--workers=") for arg in extra):
        raise ValueError(f"--variant {spec!r}: a variant keeps its mode's --workers")
    args, procs = MODES[mode]
    MODES[name] = (args + extra, procs)
    return name


def require_tools():
    missing = []
    if not shutil.which("wrk"):
        missing.append("wrk (Debian: apt-get install wrk)")
    for module, how in (("gunicorn", "pip install gunicorn"), ("flask", "pip install flask")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} ({how})")
    if missing:
        raise SystemExit("run.py: missing " + "; ".join(missing))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-profiled"]:
        return serve_profiled(argv[1], argv[3:])
    args = parse_args(argv)
    require_tools()
    # SIGTERM (timeout, kill) stops like Ctrl-C: the finally below stops every server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    ctx = Context(args)
    try:
        say(f"bench folder {ctx.tmp}")
        start_database(ctx)
        setup_sessions(ctx)
        write_page_template(ctx)
        ctx.scripts = write_scripts(ctx)
        start_contenders(ctx)
        measure_all(ctx)
        if args.memory:
            memory_phase(ctx)
        for s in ctx.services:
            s.stop()
        if args.profile:
            ctx.profile = profile_phase(ctx)
    finally:
        for s in ctx.services:
            s.stop()
        if ctx.db is not None:
            ctx.db.cleanup()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    text = report(ctx, began)
    print(text, end="")
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)
    if args.chart or not args.quick:
        chart.write(args.chart or ROOT / "docs" / "performance.svg", ctx.rows, f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
