"""Every command in the docs is run by a test, so the docs cannot rot.

The convention, for README.md and docs/*.md:

1. Every code block is fenced (```) and names its kind: the first word of
   its info string is one of KINDS.  An indented code block, a fence with no
   kind or an unknown kind fails test_code_blocks_follow_the_convention.

2. ```sh blocks hold the commands a reader types, one per line (a line that
   ends with a backslash goes on on the next one; a line starting with # is
   a comment).  Every one of them is run for real by the scenario of its
   document (SCENARIOS), in a scratch copy of the repository, unless NOT_RUN
   lists it with the reason it cannot run on a test machine.  A command that
   is neither run nor listed fails the test, and so does a NOT_RUN entry
   that no document holds any more.

3. How a scenario runs a document: it takes the blocks in order.
   - An sh block runs as one bash script (set -e), in the scratch copy.
   - A command of LONG_RUNNING (a server) stands in a block of its own (after
     optional `cd` lines). It is started in the background and waited on
     until it answers; a later server on the same port stops it first with
     SIGINT (Ctrl-C), the end of the scenario with SIGTERM, and it must then
     exit with status 0.
   - `<pid>` is the process id of the server started last, `<password>` the
     first admin's password that server printed.
   - Port 8069 (and 8070) is replaced by a free port everywhere: commands,
     files, the scratch copy's inphms.conf.  The machine paths of a document
     (/etc, /var, /srv/myproject, MariaDB's socket, ...) are replaced by
     folders of the scratch area (the scenario's paths); `sudo -u inphms` and
     `sudo` are dropped: the test is one user, and it is the administrator
     of the private MariaDB of tests/support/mariadb.py (its ~/.my.cnf says
     so), as root is on a real machine.
   - A command of STDIN gets that text as stdin (a password typed twice on a
     terminal is read from the first line of stdin); `sudo mariadb` gets the
     sql block that follows it.
   - A block after a paragraph that starts with `some/path` and ends with a
     colon (or that ends with `some/path`:) is that file: the scenario writes
     it there before running the commands that follow.

4. The other kinds are checked by their own tools: ini (inphms.config's
   configmanager), cnf (mariadbd --help), sql (CREATE TABLE blocks through
   db init on SQLite and on MariaDB, other statements as MariaDB's
   administrator), python (compiled), json (parsed), apache (apache2 -t,
   with the modules the document's a2enmod lines name).  text is output,
   logs, file trees and synopses: a line of it that starts like a command
   and shows no placeholder fails.  A block that this machine cannot check
   is in NOT_CHECKED, with the reason.

The files of docs/examples are checked too: nginx.conf with nginx -t, the
systemd units with systemd-analyze verify (haproxy.cfg: tests/scale/test_haproxy.py).
"""
import getpass
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
ALL_DOCS = ["README.md"] + sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))

# Documents written before this convention, waiting for their blocks to be fenced and named.
# test_pending_documents_still_need_it fails as soon as one follows the convention, so an
# entry cannot outlive its reason: then remove it (and list its long commands in NOT_RUN).
PENDING = {}
DOCS = [d for d in ALL_DOCS if d not in PENDING]

KINDS = {
    "sh": "commands: run by the document's scenario, or listed in NOT_RUN",
    "text": "output, logs, file trees, synopses: no command",
    "ini": "an inphms.conf: read by inphms.config.configmanager",
    "cnf": "a MariaDB option file: read by mariadbd --help --verbose",
    "sql": "tables.sql (db init on SQLite and MariaDB) or statements (MariaDB's administrator)",
    "python": "compiled",
    "json": "parsed",
    "apache": "apache2 -t",
    "logrotate": "not checked: logrotate is not part of the test set-up; the deploy scenario "
                 "checks what the file relies on (the server opens a new log file after a move)",
    "html": "not checked: what the page helpers write, shown as an example; tests/ui checks "
            "the helpers' real output",
    "js": "not checked: no JavaScript engine in the test set-up; the browser test runs the "
          "real files",
}

NOT_RUN = {
    # performance: the benchmark (test_bench_smoke.py runs it in --quick mode)
    "python tests/bench/run.py": "runs for about 10 minutes",
    "python tests/bench/run.py --memory --profile 25": "runs for about 22 minutes",
    "python tests/bench/run.py --memory --profile 25 --modes threaded,workers2,evented,workers2evented":
        "runs for about 17 minutes",
    "python tests/bench/run.py --modes threaded --seconds 3 --reps 1": "runs for minutes, "
        "with MariaDB, Apache and gunicorn; test_bench_smoke.py runs the quick mode",
    # README / getting started
    "bash tests/run": "runs the whole suite, this test included; CI runs it",
    "pip install -e .": "changes the Python environment the suite runs in; tests/run runs it first",
    # deploy: the machine
    "sudo apt-get install -y python3-werkzeug python3-pymysql python3-gevent mariadb-server nginx":
        "installs system packages",
    "sudo useradd --system --home-dir /srv/myproject --shell /usr/sbin/nologin inphms":
        "adds a system user; the test runs as one user",
    "sudo install -d -o inphms -g inphms -m 750 /var/lib/inphms /var/log/inphms":
        "needs the user inphms; the deploy scenario makes the same folders",
    "sudo systemctl restart mariadb": "the system's MariaDB; the test has its private one",
    "sudo chown root:inphms /etc/inphms.conf": "needs the user inphms",
    "sudo chmod 640 /etc/inphms.conf": "goes with the chown before it (the file is the test's own)",
    # deploy: systemd
    "sudo cp docs/examples/inphms.socket docs/examples/inphms.service /etc/systemd/system/":
        "installs units; test_systemd_units_verify checks them with systemd-analyze",
    "sudo systemctl daemon-reload": "needs systemd as the machine's init",
    "sudo systemctl enable --now inphms.socket": "needs systemd as the machine's init; "
        "systemd-socket-activate, run in the deploy scenario, does the same hand-over",
    "sudo systemctl start inphms.service": "needs systemd as the machine's init",
    "sudo systemctl reload inphms": "needs systemd; it is kill -HUP, run in getting-started",
    "sudo systemctl restart inphms": "needs systemd as the machine's init",
    "journalctl -u inphms -f": "follows the system journal forever",
    # deploy: nginx, Apache, TLS
    "sudo cp docs/examples/nginx.conf /etc/nginx/conf.d/inphms.conf":
        "the system's nginx; test_nginx_example checks the file with nginx -t",
    "sudo nginx -t": "the system's nginx; test_nginx_example runs nginx -t on the example",
    "sudo systemctl reload nginx": "needs systemd and the system's nginx",
    # deploy: Galera and HAProxy
    "sudo apt-get install -y mariadb-server galera-4 rsync": "installs system packages",
    "sudo galera_new_cluster": "bootstraps the system's MariaDB as a cluster; "
        "tests/scale/test_galera.py starts a cluster of its own",
    "sudo systemctl start mariadb": "the system's MariaDB, joining a cluster",
    "sudo cp docs/examples/haproxy.cfg /etc/haproxy/haproxy.cfg":
        "the system's HAProxy; tests/scale/test_haproxy.py runs the example",
    "sudo haproxy -c -f /etc/haproxy/haproxy.cfg":
        "the system's HAProxy; tests/scale/test_haproxy.py runs haproxy -c on the example",
    "sudo systemctl reload haproxy": "needs systemd and the system's HAProxy",
    "sudo a2enmod proxy proxy_http headers":
        "the system's Apache; the test loads these modules into its own apache2 -t",
    "sudo a2disconf serve-cgi-bin": "the system's Apache",
    "sudo a2ensite myproject": "the system's Apache; the deploy scenario runs the site "
        "in an Apache of its own",
    "sudo systemctl reload apache2": "needs systemd and the system's Apache",
    "sudo a2enmod proxy proxy_http headers proxy_balancer lbmethod_byrequests slotmem_shm":
        "the system's Apache; the test loads these modules into its own apache2 -t",
    "sudo apt-get install -y libapache2-mod-wsgi-py3": "installs system packages",
    "sudo certbot --nginx -d www.example.com": "needs a public domain and Let's Encrypt",
    "sudo certbot --apache -d www.example.com": "needs a public domain and Let's Encrypt",
    # cron.md
    "python inphms-bin cron run prod_stock": "prod_stock is the job of the guide's imagined shop "
        "addon (a prod table with a stock column); getting-started runs cron run on a real job",
}

# A server: how the scenario knows it is ready.  port: it answers HTTP there;
# log: that text appears once more in that (mapped) file.
LONG_RUNNING = {
    "python inphms-bin --server": {"port": 8069},
    "python inphms-bin --server --dev reload": {"port": 8069},
    "sudo -u inphms systemd-socket-activate -l 127.0.0.1:8069 python3 inphms-bin "
    "-c /etc/inphms.conf --workers 4": {"port": 8069},
    "sudo -u inphms python3 inphms-bin -c /etc/inphms.conf --http-port 8070": {"port": 8070},
    "INPHMS_RC=/etc/inphms.conf gunicorn --chdir /srv/myproject --workers 4 --threads 8 "
    "--bind 127.0.0.1:8069 --timeout 130 inphms.wsgi:application": {"port": 8069},
    "sudo -u inphms python3 inphms-bin -c /etc/inphms.conf --no-http-enable --workers 0":
        {"log": "/var/log/inphms/inphms.log", "text": "inphms.service.cron: cron: "},
    "python inphms-bin -c myshop.conf": {"port": 8069},
    "python inphms-bin -c flyton.conf": {"port": 8069},
}

NEXT_SQL = object()
STDIN = {
    "python inphms-bin db sql": ".tables\n",
    "python inphms-bin user add dana --roles admin --first Dana --last Levi": "dana-pw-2718\n",
    "python inphms-bin user passwd admin": "admin-pw-3141\n",
    "sudo -u inphms python3 inphms-bin user add admin --roles admin -c /etc/inphms.conf":
        "prod-admin-pw-1618\n",
    "python inphms-bin user passwd dana -c myshop.conf": "dana-new-pw-1414\n",
    "python inphms-bin user add kic --roles admin -c flyton.conf": "kic-tree-pw-1964\n",
    "sudo mariadb": NEXT_SQL,
    "sudo mariadb myshop": NEXT_SQL,
}

# exit statuses other than 0 that a command may end with
OK_STATUS = {
    "grep -rnE 'content-type|unsessions|QUERY_STRING|sys\\.path|data\\[\"g\"\\]|\"where\": *\"|exit\\(' "
    "addons/myshop": (0, 1),       # grep: 1 = no line found
    "python inphms-bin flyton check /var/www/myshop": (0, 1),     # 1: something is listed
}

# (document, a line of the block): why this config block is not checked here
NOT_CHECKED = {
    ("docs/deploy.md", "WSGIScriptAlias / /srv/myproject/inphms/wsgi.py"):
        "mod_wsgi (libapache2-mod-wsgi-py3) is not part of the test set-up; the deploy scenario "
        "checks what the block relies on: with the linked inphms.conf in the project's folder, "
        "importing inphms.wsgi there loads the production configuration",
}

# Machine paths of a document, for the static checks (configs read in place).
STATIC_PATHS = {"/srv/myproject": str(ROOT), "/var/www/myshop": str(ROOT / "tests" / "app" / "flyproj")}

APACHE_MODULES = {"mpm_event", "authz_core"}      # what every apache2 needs, beside a2enmod's
PORT_RE = re.compile(r"(?<![\d.])(8069|8070)(?![\d])")
PLACEHOLDER_RE = re.compile(r"<[a-z_]+>")
COMMAND_START = re.compile(r"^\s*(\$ |python3? |bash |sudo |kill |curl |pip |systemctl |gunicorn |"
                           r"mariadb|mysql |nginx |apachectl |a2en|journalctl |sed |cp |mkdir )")
TEXT_PLACEHOLDER = re.compile(r"\[|<|\.\.\.|\b[A-Z]{2,}\b")


# ---------------------------------------------------------------------------
# reading the documents

@dataclass
class Block:
    doc: str
    line: int
    kind: str
    text: str
    path: str = None            # the file this block is, when its paragraph says so

    def where(self):
        return f"{self.doc}:{self.line}"


@dataclass
class Doc:
    name: str
    blocks: list = field(default_factory=list)
    problems: list = field(default_factory=list)


FENCE_RE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
LIST_RE = re.compile(r"^( *)([-*+]|\d+[.)]) +")
PATH_START_RE = re.compile(r"^`(?P<path>[^`\s<>{}()]+)`")
PATH_END_RE = re.compile(r"`(?P<path>[^`\s<>{}()]+)`:$")
FILE_NAME_RE = re.compile(r"^[\w.-]+\.(py|sql|conf|cnf|js|json|css|html|txt)$")


def path_like(text):
    return "/" in text or bool(FILE_NAME_RE.match(text))


def intro_path(paragraph):
    """The file a block is, from the paragraph just before it, or None."""
    if not paragraph:
        return None
    first, last = paragraph[0].strip(), paragraph[-1].strip()
    start = PATH_START_RE.match(first)
    if start and last.endswith(":") and path_like(start.group("path")):
        return start.group("path")
    end = PATH_END_RE.search(last)
    if end and path_like(end.group("path")):
        return end.group("path")
    return None


def parse(name):
    doc = Doc(name)
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    i, blank, list_indent, paragraph = 0, True, 0, []
    while i < len(lines):
        line = lines[i]
        fence = FENCE_RE.match(line)
        if fence and len(fence.group("indent")) <= list_indent + 3:
            indent, mark = len(fence.group("indent")), fence.group("fence")
            kind = (fence.group("info").split() or [""])[0]
            close = re.compile(rf"^ *{re.escape(mark[0])}{{{len(mark)},}}\s*$")
            body, j = [], i + 1
            while j < len(lines) and not close.match(lines[j]):
                body.append(re.sub(rf"^ {{0,{indent}}}", "", lines[j]))
                j += 1
            if j == len(lines):
                doc.problems.append(f"{name}:{i + 1}: the code block is never closed")
            if not kind:
                doc.problems.append(f"{name}:{i + 1}: a code block without a kind "
                                    f"(one of {', '.join(KINDS)})")
            elif kind not in KINDS:
                doc.problems.append(f"{name}:{i + 1}: unknown kind {kind!r} "
                                    f"(one of {', '.join(KINDS)})")
            text = "\n".join(body) + "\n"
            doc.blocks.append(Block(name, i + 1, kind, text, intro_path(paragraph)))
            i, blank, paragraph = j + 1, False, []
            continue
        stripped = line.strip()
        if not stripped:
            blank = True            # the paragraph stays the one before a block that follows
            i += 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = LIST_RE.match(line)
        if item:
            list_indent = len(item.group(0))
        elif blank and indent >= list_indent + 4:
            doc.problems.append(f"{name}:{i + 1}: an indented code block; fence it and name "
                                f"its kind: {stripped[:60]!r}")
        elif indent < list_indent:
            list_indent = 0
            if blank and indent >= 4:
                doc.problems.append(f"{name}:{i + 1}: an indented code block; fence it and "
                                    f"name its kind: {stripped[:60]!r}")
        if blank:
            paragraph = []
        paragraph.append(line)
        blank = False
        i += 1
    return doc


def commands(block):
    """The commands of an sh block: continuation lines joined, comments left out."""
    cmds, cur = [], ""
    for line in block.text.splitlines():
        if not cur and (not line.strip() or line.strip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1].strip() + " "
            continue
        cmds.append(drop_comment((cur + line.strip()).strip()))
        cur = ""
    if cur:
        cmds.append(drop_comment(cur.strip()))
    return cmds


def drop_comment(cmd):
    """A command without its trailing `# comment` (a # outside quotes, after a space)."""
    for m in re.finditer(r"\s+#(\s|$)", cmd):
        before = cmd[:m.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before.rstrip()
    return cmd


def all_docs():
    return [parse(name) for name in DOCS]


def blocks_of(kind):
    return [b for d in all_docs() for b in d.blocks if b.kind == kind]


def not_checked(block):
    for (doc, line), reason in NOT_CHECKED.items():
        if block.doc == doc and line in [l.strip() for l in block.text.splitlines()]:
            return reason
    return None


def stdin_blocks():
    """The sql blocks that an sh command reads as its stdin (NEXT_SQL)."""
    taken = set()
    for d in all_docs():
        for b, nxt in zip(d.blocks, d.blocks[1:]):
            if b.kind == "sh" and any(STDIN.get(c) is NEXT_SQL for c in commands(b)):
                taken.add((nxt.doc, nxt.line))
    return taken


def is_tables_sql(text):
    statements = [s.strip() for s in strip_sql_comments(text).split(";") if s.strip()]
    return bool(statements) and all(s.upper().startswith("CREATE TABLE") for s in statements)


def strip_sql_comments(text):
    return "\n".join(l for l in text.splitlines() if not l.strip().startswith(("--", "#")))


# ---------------------------------------------------------------------------
# small helpers

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, method, path, body=None, source=None, timeout=30):
    """(status, headers, text) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        if isinstance(body, dict):
            body = json.dumps(body)
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def api(port, meth, inp, ses=""):
    status, _, text = fetch(port, "POST", f"/cgi-bin/api?meth={meth}",
                           {"info": {"ses": ses}, "input": inp})
    return json.loads(text)["server"]


def login(port, user, password):
    answer = api(port, "api_login", {"u": user, "p": password})
    assert answer["allow"] == 1 and answer.get("ses"), answer
    return answer["ses"]


def page(port, ses, rpage="", **params):
    query = "".join(f"&{k}={v}" for k, v in params.items())
    rp = f"&rpage={rpage}" if rpage else ""
    return fetch(port, "GET", f"/cgi-bin/p?app=start&r=1&ses={ses}{rp}{query}")


def answers(port, server=None):
    """True when the server on port serves a static file; fails when it died."""
    if server is not None:
        assert server.proc.poll() is None, f"{server.cmd!r} exited {server.proc.returncode}\n{server.err()[-5000:]}"
    try:
        return fetch(port, "GET", "/lib/bootstrap.LICENSE", timeout=30)[0] == 200
    except OSError:
        return False


def read(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def end_group(pgid, timeout=30):
    """Wait for the processes a block left behind; kill what outlives the wait."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
        return False
    return True


def mariadb_admin(server, sql, database=None):
    """Run statements with the mariadb client as the private server's administrator."""
    cmd = [shutil.which("mariadb") or "mariadb", "--no-defaults", f"--socket={server.socket}",
           f"--user={getpass.getuser()}", "--batch", "--skip-column-names"]
    if database:
        cmd.append(database)
    done = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"mariadb failed:\n{sql}\n{done.stderr}"
    return done.stdout


def scratch_copy(target):
    """The repository as a fresh clone would have it: no .git, no runtime data."""
    skip = {".git", ".run", "__pycache__", ".pytest_cache", ".benchmarks", "node_modules"}

    def ignore(folder, names):
        out = {n for n in names if n in skip or n.endswith(".egg-info")}
        if Path(folder) == ROOT:
            out |= {n for n in names if n == "data"}
        return out

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    return target


# ---------------------------------------------------------------------------
# running a document

@dataclass
class Step:
    block: Block
    cmds: list
    out: str = ""
    err: str = ""
    rc: int = 0
    server: object = None

    @property
    def cmd(self):
        """The server's command, else the block's first command that is not a cd."""
        if self.server is not None:
            return self.server.cmd
        return next((c for c in self.cmds if not c.startswith("cd ")), "")


class Server:
    """A long-running command of a document, started in the background."""

    def __init__(self, cmd, argv, cwd, env, logdir, port):
        self.cmd, self.port = cmd, port
        n = len(list(Path(logdir).glob("bg*.out")))
        self.out_path = Path(logdir) / f"bg{n}.out"
        self.err_path = Path(logdir) / f"bg{n}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, start_new_session=True)
        self.pid = self.proc.pid

    def out(self):
        return read(self.out_path)

    def err(self):
        return read(self.err_path)

    def stop(self, signum=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            os.kill(self.pid, signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(10)
                raise AssertionError(f"{self.cmd!r} did not stop within {timeout}s\n{self.err()[-3000:]}")
        end_group(self.pid, 10)
        return self.proc.returncode


class Runner:
    """Runs the blocks of one document in a scratch copy of the repository."""

    def __init__(self, doc, work, paths=None, mariadb=None):
        self.doc = parse(doc)
        assert not self.doc.problems, self.doc.problems
        self.work = Path(work)
        self.root = scratch_copy(self.work / "repo")
        self.home = self.work / "home"
        self.home.mkdir()
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.ports = {"8069": str(free_port()), "8070": str(free_port())}
        self.paths = dict(paths or {})
        self.mariadb = mariadb
        self.servers = []
        self.ran = set()
        self.password = None
        self.counts = {}
        conf = self.root / "inphms.conf"
        conf.write_text(self.map_text(conf.read_text()))
        self.env = {
            "PATH": os.path.dirname(sys.executable) + ":/usr/local/sbin:/usr/local/bin:"
                    "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.home), "LANG": "C.UTF-8", "TERM": "dumb",
        }
        if mariadb is not None:
            (self.home / ".my.cnf").write_text(
                f"[client]\nsocket={mariadb.socket}\nuser={getpass.getuser()}\n")

    # -- text mapping
    def port(self, port=8069):
        return int(self.ports[str(port)])

    def map_text(self, text):
        """Machine paths and ports of the document -> those of the scratch area, in one pass."""
        keys = [re.escape(k) for k in sorted(self.paths, key=len, reverse=True)]
        pattern = re.compile("|".join(keys + [PORT_RE.pattern]))

        def swap(m):
            if m.group(0) in self.paths:
                return str(self.paths[m.group(0)])
            return self.ports[m.group(0)]
        return pattern.sub(swap, text)

    def map_path(self, path):
        if path.startswith("/"):
            mapped = self.map_text(path)
            assert mapped != path, f"{self.doc.name}: no scratch folder for the machine path {path}"
            return Path(mapped)
        return self.root / path

    def map_command(self, cmd):
        cmd = re.sub(r"^(sudo -u inphms |sudo )", "", cmd)
        if "<pid>" in cmd:
            assert self.servers, f"{cmd}: no server started before it"
            cmd = cmd.replace("<pid>", str(self.servers[-1].pid))
        if "<password>" in cmd:
            assert self.password, f"{cmd}: no password printed before it"
            cmd = cmd.replace("<password>", self.password)
        left = PLACEHOLDER_RE.findall(cmd)
        assert not left, f"{self.doc.name}: {cmd}: unknown placeholder {left}"
        return self.map_text(cmd)

    # -- the run
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        failures = []
        for server in reversed(self.servers):
            if server.proc.poll() is None:
                rc = server.stop()
                if rc != 0:
                    failures.append(f"{server.cmd!r} exited {rc} after SIGTERM\n{server.err()[-3000:]}")
        if exc[0] is None:
            assert not failures, failures

    def run(self):
        blocks = self.doc.blocks
        skip = set()
        for index, block in enumerate(blocks):
            if index in skip:
                continue
            if block.path and block.kind not in ("sh", "text"):
                target = self.map_path(block.path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(self.map_text(block.text))
            if block.kind != "sh":
                continue
            cmds = commands(block)
            todo = [c for c in cmds if c not in NOT_RUN]
            if not todo:
                continue
            stdin_sql = None
            if any(STDIN.get(c) is NEXT_SQL for c in todo):
                nxt = blocks[index + 1] if index + 1 < len(blocks) else None
                assert nxt is not None and nxt.kind == "sql", f"{block.where()}: no sql block follows"
                stdin_sql = nxt.text
                skip.add(index + 1)
            long = [c for c in todo if c in LONG_RUNNING]
            if long:
                step = self.start_server(block, todo, long)
            else:
                step = self.run_script(block, todo, stdin_sql)
            self.ran.update(todo)
            for c in todo:
                self.counts[c] = self.counts.get(c, 0) + 1
            yield step
        self.check_coverage()

    def count(self, cmd):
        return self.counts.get(cmd, 0)

    def run_script(self, block, todo, stdin_sql, timeout=150):
        lines = ["set -e"]
        for c in todo:
            line = self.map_command(c)
            text = STDIN.get(c)
            if text is NEXT_SQL:
                text = stdin_sql
            if text is not None:
                line += " <<'INPHMS_DOCS_EOF'\n" + text + ("" if text.endswith("\n") else "\n") + \
                        "INPHMS_DOCS_EOF"
            ok = OK_STATUS.get(c)
            if ok:
                codes = " ".join(str(x) for x in ok)
                line = f"if {line}; then :; else rc=$?; case \" {codes} \" in *\" $rc \"*) ;; *) exit $rc;; esac; fi"
            lines.append(line)
        script = "\n".join(lines) + "\n"
        proc = subprocess.Popen(["bash", "-c", script], cwd=self.root, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise AssertionError(f"{block.where()}: the block ran over {timeout}s:\n{script}")
        finished = end_group(proc.pid, 30)
        assert proc.returncode == 0, (f"{block.where()}: exit {proc.returncode}\n{script}\n"
                                      f"--- stdout\n{out[-3000:]}\n--- stderr\n{err[-5000:]}")
        assert finished, f"{block.where()}: processes of the block were still running 30s after it"
        return Step(block, todo, out, err, proc.returncode)

    def start_server(self, block, todo, long):
        where = block.where()
        assert len(long) == 1 and todo[-1] == long[0] and \
            all(c.startswith("cd ") for c in todo[:-1]), \
            f"{where}: a server command stands in a block of its own (after cd lines)"
        cwd = self.root
        for c in todo[:-1]:
            cwd = self.map_path(c[3:].strip())
        cmd = long[0]
        spec = LONG_RUNNING[cmd]
        port = self.port(spec["port"]) if "port" in spec else None
        for other in self.servers:
            if port and other.port == port and other.proc.poll() is None:
                rc = other.stop(signal.SIGINT)
                assert rc == 0, f"{other.cmd!r} exited {rc} on Ctrl-C\n{other.err()[-3000:]}"
        if "log" in spec:
            logfile = self.map_path(spec["log"])
            before = read(logfile).count(spec["text"])
        # exec: the server gets bash's process id; NAME=value words stay before it
        line = re.sub(r"^((?:\w+=\S+ )*)", r"\1exec ", self.map_command(cmd), count=1)
        server = Server(cmd, ["bash", "-c", line], cwd, self.env, self.logs, port)
        self.servers.append(server)

        def ready():
            assert server.proc.poll() is None, \
                f"{where}: {cmd!r} exited {server.proc.returncode}\n{server.out()}\n{server.err()[-5000:]}"
            if "log" in spec:
                return read(logfile).count(spec["text"]) > before
            return answers(port)

        wait_for(ready, 60, f"{cmd!r} to be ready", step=0.2)
        out = server.out()
        found = re.search(r"created with password (\S+)", out)
        if found and self.password is None:
            self.password = found.group(1)
        return Step(block, todo, out, server.err(), None, server)

    def check_coverage(self):
        missing = [f"{b.where()}: {c}" for b in self.doc.blocks if b.kind == "sh"
                   for c in commands(b) if c not in NOT_RUN and c not in self.ran]
        assert not missing, f"commands neither run nor in NOT_RUN: {missing}"


# ---------------------------------------------------------------------------
# the static checks

def test_code_blocks_follow_the_convention():
    problems = [p for d in all_docs() for p in d.problems]
    assert not problems, "\n".join(problems)


def test_pending_documents_still_need_it():
    for name, reason in PENDING.items():
        if (ROOT / name).exists():
            assert parse(name).problems, f"{name} follows the convention now: remove it from PENDING"


def test_text_blocks_hold_no_command():
    bad = []
    for b in blocks_of("text"):
        for n, line in enumerate(b.text.splitlines()):
            if COMMAND_START.match(line) and not TEXT_PLACEHOLDER.search(line):
                bad.append(f"{b.doc}:{b.line + 1 + n}: {line.strip()} (a command: put it in an sh block)")
    assert not bad, "\n".join(bad)


def test_every_document_with_commands_has_a_scenario():
    with_commands = {b.doc for b in blocks_of("sh")
                     if any(c not in NOT_RUN for c in commands(b))}
    assert with_commands <= set(SCENARIOS), with_commands - set(SCENARIOS)


def test_lists_name_only_what_the_documents_hold():
    cmds = {c for b in blocks_of("sh") for c in commands(b)}
    for table in (NOT_RUN, LONG_RUNNING, STDIN, OK_STATUS):
        stale = set(table) - cmds
        assert not stale, f"entries that no document holds any more: {stale}"
    lines = {(b.doc, line.strip()) for d in all_docs() for b in d.blocks for line in b.text.splitlines()}
    assert set(NOT_CHECKED) <= lines, set(NOT_CHECKED) - lines


def test_ini_blocks_are_read_by_the_config_reader(tmp_path):
    from inphms.config import configmanager
    blocks = blocks_of("ini")
    assert blocks
    for n, b in enumerate(blocks):
        folder = tmp_path / f"ini{n}"
        folder.mkdir()
        text = b.text
        for machine, here in STATIC_PATHS.items():
            text = text.replace(machine, here)
        conf = folder / "inphms.conf"
        conf.write_text(text)
        cfg = configmanager()
        for line in text.splitlines():
            if line.startswith("addons_path") and not line.split("=", 1)[1].strip().startswith("/"):
                for part in line.split("=", 1)[1].split(","):
                    (folder / part.strip()).mkdir(parents=True, exist_ok=True)
        try:
            cfg.parse_config(["-c", str(conf)])       # an unknown option or a bad value raises
        except Exception as exc:
            raise AssertionError(f"{b.where()}: {exc}") from None


def test_python_blocks_compile():
    blocks = blocks_of("python")
    assert blocks
    for b in blocks:
        try:
            compile(b.text, b.where(), "exec")
            continue
        except SyntaxError as exc:
            if "outside function" not in str(exc):
                raise AssertionError(f"{b.where()}: {exc}") from None
        # a snippet from inside a function (it returns): compile it as a body
        head = [l for l in b.text.splitlines() if re.match(r"^from \S+ import \*$", l)]
        body = [l for l in b.text.splitlines() if l not in head]
        wrapped = "\n".join(head) + "\ndef snippet():\n" + textwrap.indent("\n".join(body) or "pass", "    ")
        compile(wrapped, b.where(), "exec")


def test_json_blocks_parse():
    for b in blocks_of("json"):
        try:
            json.loads(b.text)
        except ValueError as exc:
            raise AssertionError(f"{b.where()}: {exc}") from None


def test_cnf_blocks_are_read_by_mariadbd(tmp_path):
    mariadbd = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin")
    if not mariadbd:
        pytest.fail("mariadbd is not installed (tests/run installs mariadb-server)")
    blocks = blocks_of("cnf")
    assert blocks
    for n, b in enumerate(blocks):
        cnf = tmp_path / f"{n}.cnf"
        cnf.write_text(b.text)
        done = subprocess.run([mariadbd, f"--defaults-file={cnf}", "--verbose", "--help"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{b.where()}: {done.stderr[-2000:]}"
        for line in b.text.splitlines():
            if "=" in line:
                key, value = (x.strip() for x in line.split("=", 1))
                assert re.search(rf"^{re.escape(key.replace('_', '-'))}\s+{re.escape(value)}$",
                                 done.stdout, re.M), f"{b.where()}: {key} is not {value}"


def apache_modules(doc):
    """The modules the a2enmod lines of a document name."""
    names = set()
    for b in parse(doc).blocks:
        if b.kind == "sh":
            for c in commands(b):
                if "a2enmod " in c:
                    names |= set(c.split("a2enmod ", 1)[1].split())
    return names


def apache_config(tmp, site, modules, listen):
    lib = "/usr/lib/apache2/modules"
    loads = "\n".join(f"LoadModule {m}_module {lib}/mod_{m}.so" for m in sorted(modules))
    main = tmp / "apache2.conf"
    main.write_text(f"""ServerRoot {tmp}
DefaultRuntimeDir {tmp}
PidFile {tmp}/apache2.pid
ErrorLog {tmp}/error.log
ServerName localhost
Listen 127.0.0.1:{listen}
User nobody
Group nogroup
{loads}
Include {site}
""")
    return main


def apache_binary():
    binary = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin")
    if not binary:
        pytest.fail("apache2 is not installed (Debian's apache2 package)")
    return binary


def test_apache_blocks_pass_apache2_t(tmp_path):
    binary = apache_binary()
    blocks = blocks_of("apache")
    assert blocks
    checked = 0
    for n, b in enumerate(blocks):
        if not_checked(b):
            continue
        site = tmp_path / f"site{n}.conf"
        site.write_text(b.text)
        main = apache_config(tmp_path, site, apache_modules(b.doc) | APACHE_MODULES, free_port())
        done = subprocess.run([binary, "-t", "-f", str(main)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, f"{b.where()}: {done.stderr}"
        checked += 1
    assert checked


def tables_sql_check(tmp_path, text, where, db_options):
    """db init of an addon whose tables.sql is ``text``, on the given engine."""
    folder = tmp_path / "addons" / "docsql"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "__manifest__.py").write_text("{'name': 'docsql', 'depends': ['base']}\n")
    (folder / "tables.sql").write_text(text)
    conf = tmp_path / "docsql.conf"
    options = {"addons_path": str(tmp_path / "addons"), "data_dir": str(tmp_path / "data"),
               "log_level": "warning", **db_options}
    conf.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
    done = subprocess.run([sys.executable, str(ROOT / "inphms-bin"), "db", "init", "-c", str(conf)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{where}: {done.stdout}{done.stderr}"
    names = re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?`?(\w+)", text, re.I)
    for name in names:
        assert re.search(rf"\b{name}\b", done.stdout), f"{where}: {name} not created: {done.stdout}"


def test_sql_blocks(tmp_path, mariadb):
    """tables.sql blocks: db init on SQLite and MariaDB; statements: as MariaDB's administrator."""
    taken = stdin_blocks()
    blocks = [b for b in blocks_of("sql") if (b.doc, b.line) not in taken]
    assert blocks
    for n, b in enumerate(blocks):
        work = tmp_path / f"b{n}"
        work.mkdir()
        if is_tables_sql(b.text):
            tables_sql_check(work, b.text, b.where(), {"db_engine": "sqlite"})
            name = mariadb.create_database()
            try:
                tables_sql_check(work, b.text, b.where(), mariadb.options(name))
            finally:
                mariadb.drop_database(name)
            continue
        # statements for a project's database: run them on one that db init filled
        name = mariadb.create_database()
        try:
            tables_sql_check(work, "", b.where(), mariadb.options(name))
            run_admin_block(mariadb, b, name)
        finally:
            mariadb.drop_database(name)


CREATE_USER_RE = re.compile(r"CREATE USER '(\w+)'@'([\w.%]+)'(?: IDENTIFIED BY '([^']*)')?", re.I)
CREATE_DB_RE = re.compile(r"CREATE DATABASE (\w+)", re.I)


def run_admin_block(mariadb, block, database=None):
    """Run a block of administrator statements on a clean slate for the names it creates, and
    undo it after: users of the same name are moved aside and back, its databases dropped."""
    users = CREATE_USER_RE.findall(block.text)
    dbs = CREATE_DB_RE.findall(block.text)
    kept = []
    for user, host, _ in users:
        if mariadb_admin(mariadb, f"SELECT COUNT(*) FROM mysql.user WHERE User='{user}' AND Host='{host}';").strip() != "0":
            mariadb_admin(mariadb, f"RENAME USER '{user}'@'{host}' TO '{user}_docs_kept'@'{host}';")
            kept.append((user, host))
    for db in dbs:
        assert not mariadb_admin(mariadb, f"SHOW DATABASES LIKE '{db}';").strip(), \
            f"{block.where()}: the database {db} exists already on the test server"
    try:
        mariadb_admin(mariadb, block.text, database)
        for user, host, password in users:
            if password:
                for db in dbs:
                    conn_check(mariadb, user, password, db)
    finally:
        undo_admin(mariadb, users, dbs, kept)


def undo_admin(mariadb, users, dbs, kept=()):
    for user, host, _ in users:
        mariadb_admin(mariadb, f"DROP USER IF EXISTS '{user}'@'{host}';")
    for db in dbs:
        mariadb_admin(mariadb, f"DROP DATABASE IF EXISTS {db};")
    for user, host in kept:
        mariadb_admin(mariadb, f"RENAME USER '{user}_docs_kept'@'{host}' TO '{user}'@'{host}';")


def conn_check(mariadb, user, password, db):
    """The new user reaches its database through the socket, in utf8mb4."""
    import pymysql
    conn = pymysql.connect(unix_socket=mariadb.socket, user=user, password=password, database=db,
                           charset="utf8mb4", connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@character_set_database, @@collation_database")
            assert cur.fetchone() == ("utf8mb4", "utf8mb4_unicode_ci")
            cur.execute("CREATE TABLE docs_probe (id int)")
            cur.execute("DROP TABLE docs_probe")
    finally:
        conn.close()


def test_nginx_example(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not nginx:
        pytest.fail("nginx is not installed (Debian's nginx package)")
    text = (ROOT / "docs" / "examples" / "nginx.conf").read_text()
    # logs of the example go to the scratch folder; nginx -t opens them
    text = re.sub(r"/var/log/nginx/", f"{tmp_path}/", text)
    example = tmp_path / "inphms.conf"
    example.write_text(text)
    main = tmp_path / "nginx.conf"
    main.write_text(f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {example};
}}
""")
    done = subprocess.run([nginx, "-t", "-c", str(main), "-p", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.fail("systemd-analyze is not installed (Debian's systemd package)")
    for name in ("inphms.socket", "inphms.service"):
        text = (ROOT / "docs" / "examples" / name).read_text()
        # the units name /srv/myproject; verify checks that the programs they start exist
        (tmp_path / name).write_text(text.replace("/srv/myproject", str(ROOT)))
    done = subprocess.run([analyze, "verify", str(tmp_path / "inphms.socket"),
                           str(tmp_path / "inphms.service")],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
    assert done.returncode == 0, done.stderr
    assert "ListenStream=127.0.0.1:8069" in (ROOT / "docs" / "examples" / "inphms.socket").read_text()


def test_readme_first_screen():
    lines = (ROOT / "README.md").read_text().splitlines()
    first = "\n".join(lines[:25])
    assert "![The products example](docs/img/products.png)" in first
    assert "```sh\npython inphms-bin --server\n```" in first
    assert "```sh\nbash tests/run\n```" in first
    data = (ROOT / "docs" / "img" / "products.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 800)


def test_readme_lists_every_document():
    readme = (ROOT / "README.md").read_text()
    for name in ALL_DOCS[1:]:
        assert name in readme, f"README.md does not list {name}"


# ---------------------------------------------------------------------------
# the scenarios: each runs one document's commands

def test_readme_commands(tmp_path):
    with Runner("README.md", tmp_path) as r:
        for step in r.run():
            if step.cmd == "python inphms-bin --server":
                assert r.password, step.out
                port = r.port()
                status, headers, _ = fetch(port, "GET", "/")
                assert status == 302 and headers["Location"].endswith("/pages/login/")
                ses = login(port, "admin", r.password)
                status, _, html = page(port, ses)
                assert status == 200 and "id=dashtitle" in html and "Products" in html


def test_getting_started_commands(tmp_path):
    doc = parse("docs/getting-started.md")
    tree = [b for b in doc.blocks if b.kind == "text" and b.text.startswith("addons/notes/")]
    assert len(tree) == 1
    with Runner("docs/getting-started.md", tmp_path) as r:
        port, ses = r.port(), None
        title = '<h2 class="me-3 mb-0">{}</h2>'
        for step in r.run():
            cmd, n = step.cmd, r.count(step.cmd)
            if cmd == "python inphms-bin --server":
                out = step.out
                assert re.match(r"First start: user 'admin' created with password \S+\n"
                                r"It is shown only this once; change it with: "
                                r"python inphms-bin user passwd admin\n", out), out
                log = step.server.err()
                assert r.password not in log
                assert re.search(rf"^\S+ \S+ {step.server.pid} INFO inphms.service.server: HTTP service "
                                 rf"\(threaded\) running on 127.0.0.1:{port}$", log, re.M), log
                status, headers, _ = fetch(port, "GET", "/")
                assert status == 302 and headers["Location"].endswith("/pages/login/")
                assert fetch(port, "GET", "/pages/login/")[0] == 200
                ses = login(port, "admin", r.password)
                status, _, html = page(port, ses)
                for card in ("Users", "Server", "Products", "Product admin"):
                    assert f">{card}</h5>" in html, card
                assert title.format("Products") in page(port, ses, "prodlist")[2]
            elif cmd.startswith("curl -s -d"):
                answer = json.loads(step.out)["server"]
                assert answer["allow"] == 1 and answer["msg"] == "ok" and len(answer["ses"]) == 84
            elif cmd.startswith("sed -i") and "All products" not in cmd:
                # not live before the reload
                assert title.format("Products") in page(port, ses, "prodlist")[2]
            elif cmd == "kill -HUP <pid>" and n == 1:
                server = r.servers[-1]
                wait_for(lambda: server.err().count("HTTP service (threaded)") >= 2, 30, "the reload",
                         step=0.2)
                assert "SIGHUP received" in server.err() and server.proc.poll() is None
                assert title.format("Our products") in page(port, ses, "prodlist")[2]
            elif cmd == "python inphms-bin --server --dev reload":
                # the watcher starts after the HTTP service: it may log after an answer
                wait_for(lambda: "dev reload: watching" in step.server.err(), 30,
                         "the dev reload watcher", step=0.2)
                assert r.servers[0].proc.returncode == 0
                # the list is open in the browser: its code is loaded
                assert title.format("Our products") in page(port, ses, "prodlist")[2]
            elif cmd.startswith("sed -i"):
                wait_for(lambda: title.format("All products") in page(port, ses, "prodlist")[2], 30,
                         "the dev reload", step=0.2)
                assert "changed: reloading" in r.servers[-1].err()
            elif cmd == "python inphms-bin scaffold notes":
                assert step.out.startswith("addon notes written in addons/notes\n"), step.out
                for line in tree[0].text.splitlines()[1:]:
                    assert (r.root / "addons" / "notes" / line.split()[0]).is_file(), line
            elif cmd == "kill -HUP <pid>" and n == 2:
                # this server has reloaded once already (the dev reload): wait
                # for the image that started after this SIGHUP, not the last one
                server = r.servers[-1]
                wait_for(lambda: server.err().count("SIGHUP received") >= 2
                         and server.err().count("HTTP service (threaded)") >= 3, 30, "the reload",
                         step=0.2)
                assert ">Notes</h5>" in page(port, ses)[2]
                status, _, html = page(port, ses, "notes")
                assert status == 200 and "id=notes" in html
                assert api(port, "api_notes_save", {"name": "first"}, ses)["allow"] == 1
            elif cmd == "python -m pytest addons/notes/tests -q":
                assert " passed" in step.out, step.out
            elif cmd == "python inphms-bin db sql":
                assert "notes" in step.out.split() and "prod" in step.out.split(), step.out
            elif cmd.startswith("echo"):
                assert step.out == '10000|admin|["admin"]\n', step.out
            elif cmd == "python inphms-bin db init":
                assert step.out.startswith("db init: 0 tables created on sqlite "), step.out
            elif cmd.startswith("python inphms-bin user add dana"):
                assert re.search(r"^ 10001  dana\s+1\s+admin\s+Dana Levi$", step.out, re.M), step.out
                login(port, "dana", STDIN[cmd].strip())
            elif cmd == "python inphms-bin user passwd admin":
                assert "password of admin changed" in step.out
                assert step.out.count("otpauth://totp/") == 1
                answer = api(port, "api_login", {"u": "admin", "p": STDIN[cmd].strip()})
                assert answer["allow"] == 1 and answer["mfa"] == 1 and "ses" not in answer
            elif cmd == "python inphms-bin cron list":
                for job in ("archive", "ses_expire", "prod_stats", "notes_tick"):
                    assert re.search(rf"^{job} ", step.out, re.M), step.out
                assert "cron job prod_stats: ok" in step.out


def test_runtime_commands(tmp_path):
    with Runner("docs/runtime.md", tmp_path) as r:
        steps = list(r.run())
    reload = [s for s in steps if s.cmd.startswith("python inphms-bin --http-port")]
    assert len(reload) == 1
    assert re.fullmatch(r"(First start: .*\n.*\n)?\s*2000 200\n", reload[0].out), reload[0].out
    assert reload[0].err.count("SIGHUP received") == 3


def test_addons_commands(tmp_path):
    """The guide's shop addon, put together from its file blocks, serves its page and API."""
    from tests.support.client import new_session
    with Runner("docs/addons.md", tmp_path) as r:
        steps = list(r.run())
        assert [s.cmd for s in steps][:1] == [
            "mkdir -p addons/shop/client/admin addons/shop/client/lib addons/shop/server/apis/api "
            "addons/shop/server/apis/tools"]
        shop = r.root / "addons" / "shop"
        for path in ("__manifest__.py", "client/admin/shophome.py", "client/lib/shop.js",
                     "server/apis/api/api_shop_hello.py", "server/apis/tools/db_shop.py"):
            assert (shop / path).is_file(), path
        port = free_port()
        conf = r.root / "shop.conf"
        conf.write_text(f"[options]\nhttp_interface = 127.0.0.1\nhttp_port = {port}\n"
                        f"addons_path = addons\ndata_dir = data\nmax_cron_threads = 0\n")
        server = Server("shop", [sys.executable, "inphms-bin", "-c", str(conf)], r.root, r.env,
                        r.logs, port)
        r.servers.append(server)
        wait_for(lambda: answers(port, server), 30, "the shop server", step=0.2)
        ses = new_session(str(conf), user_id=10000)
        from inphms import sql
        sql.close_all()
        status, _, html = page(port, ses, "shophome", n=3)
        assert status == 200 and "<p id=count>3</p>" in html and 'src="/lib/shop.js"' in html
        answer = api(port, "api_shop_hello", {"n": "3"}, ses)
        assert answer["allow"] == 1 and answer["text"] == "hello 3 times"
        assert api(port, "api_shop_hello", {}, ses)["msg"] == "n is missing"


def test_cron_commands(tmp_path):
    with Runner("docs/cron.md", tmp_path) as r:
        steps = list(r.run())
    listing = [s for s in steps if s.cmd == "python inphms-bin cron list"]
    assert listing and listing[0].out.startswith("name "), listing


def test_sql_commands(tmp_path, mariadb):
    """db diff as docs/sql.md shows it: the outputs printed there, on SQLite and on MariaDB."""
    doc = parse("docs/sql.md")
    outputs = [b.text for b in doc.blocks if b.kind == "text" and b.text.startswith("-- table stock")]
    not_done = [b.text for b in doc.blocks if b.kind == "text" and b.text.startswith("-- not done:")]
    files = [b.text for b in doc.blocks if b.path == "addons/stock/tables.sql"]
    assert len(outputs) == 2 and len(not_done) == 1 and len(files) == 2
    sqlite_out, mysql_out = outputs
    with Runner("docs/sql.md", tmp_path) as r:
        def inphms(*args, conf=None):
            argv = [sys.executable, "inphms-bin", *args] + (["-c", str(conf)] if conf else [])
            return subprocess.run(argv, cwd=r.root, env=r.env, capture_output=True, text=True, timeout=120)

        for step in r.run():
            if step.cmd == "python inphms-bin db diff":
                assert step.out == sqlite_out, step.out
                assert "db diff: 3 statements to run on sqlite " in step.err, step.err
            elif step.cmd == "python inphms-bin db diff --apply":
                assert step.out == sqlite_out, step.out
        again = inphms("db", "diff")
        assert again.returncode == 0 and again.stdout == "", again.stdout
        # a type SQLite cannot change: reported, exit status 1
        stock = r.root / "addons" / "stock" / "tables.sql"
        stock.write_text(files[1].replace("qty int DEFAULT 0", "qty varchar(10) DEFAULT '0'"))
        blocked = inphms("db", "diff")
        assert blocked.returncode == 1 and not_done[0] in blocked.stdout, blocked.stdout
        # the MySQL output of the same two files
        db = mariadb.create_database()
        try:
            conf = r.root / "mysql.conf"
            options = {**mariadb.options(db), "addons_path": "addons", "data_dir": "data"}
            conf.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
            stock.write_text(files[0])
            assert inphms("db", "init", conf=conf).returncode == 0
            stock.write_text(files[1])
            shown = inphms("db", "diff", conf=conf)
            assert shown.returncode == 0 and shown.stdout == mysql_out, shown.stdout + shown.stderr
        finally:
            mariadb.drop_database(db)


def test_deploy_commands(tmp_path, mariadb):
    work = tmp_path / "machine"
    paths = {"/etc/": f"{work}/etc/", "/var/": f"{work}/var/",
             "/run/mysqld/mysqld.sock": mariadb.socket}
    for folder in ("etc", "var/lib/inphms", "var/log/inphms", "var/backups"):
        (work / folder).mkdir(parents=True)
    doc = parse("docs/deploy.md")
    setup = [b for b in doc.blocks if b.kind == "sql"][0]
    users = CREATE_USER_RE.findall(setup.text)
    dbs = CREATE_DB_RE.findall(setup.text)
    runner = Runner("docs/deploy.md", tmp_path, paths=paths, mariadb=mariadb)
    runner.paths["/srv/myproject"] = str(runner.root)
    log = work / "var/log/inphms/inphms.log"
    admin_pw = STDIN["sudo -u inphms python3 inphms-bin user add admin --roles admin -c /etc/inphms.conf"].strip()
    try:
        with runner as r:
            p1, p2, ses = r.port(8069), r.port(8070), None
            for step in r.run():
                cmd = step.cmd
                if cmd == "sudo mariadb":
                    user, host, password = users[0]
                    conn_check(mariadb, user, password, dbs[0])
                elif cmd.endswith("db init"):
                    assert "db init: 9 tables created on mysql myproject@" in step.out, step.out
                    assert "user admin added" in step.out
                elif "systemd-socket-activate" in cmd:
                    ses = login(p1, "admin", admin_pw)
                    assert "First start" not in step.server.out()
                    assert "using the listening socket handed to this process" in read(log)
                    assert "prefork, 4 workers" in read(log)
                elif "--http-port 8070" in cmd:
                    status, _, html = page(p2, ses)
                    assert status == 200 and "id=dashtitle" in html, "a session of one server on the other"
                    apache_live_check(r, tmp_path, doc, p1)
                elif cmd.startswith("INPHMS_RC="):
                    assert r.servers[0].proc.returncode == 0
                    ses = login(p1, "admin", admin_pw)
                    assert page(p1, ses)[0] == 200
                    assert "Listening at: http://127.0.0.1:%d" % p1 in step.server.err()
                elif "--no-http-enable" in cmd:
                    # a window, with its reason: this server opens no port, so there is
                    # no answer to wait for; a start that fails, or forks workers
                    # anyway, does so within its first second
                    time.sleep(1)
                    assert step.server.proc.poll() is None
                    assert not re.search(rf"{step.server.pid} INFO inphms.service.prefork", read(log))
                elif cmd.startswith("sudo ln -sf"):
                    assert (r.root / "inphms.conf").resolve() == (work / "etc/inphms.conf").resolve()
                    done = subprocess.run([sys.executable, "-c", "import inphms.wsgi; from inphms.config "
                                           "import config; print(config['db_engine'], config['db_name'])"],
                                          cwd=r.root, env=r.env, capture_output=True, text=True, timeout=60)
                    assert done.stdout.strip() == "mysql myproject", done.stderr
                elif cmd.startswith("sudo -u inphms mv"):
                    assert "GET /lib/bootstrap.LICENSE" in read(work / "var/log/inphms/inphms.log.1")
                    # a job made due: the server whose cron claims it (each started before the
                    # move) writes its line to a new inphms.log
                    mariadb_admin(mariadb, "UPDATE cron SET next_run = '2000-01-01 00:00:00' "
                                           "WHERE name = 'ses_expire';", dbs[0])
                    wait_for(lambda: "INFO inphms.service.cron: cron job ses_expire ok" in read(log), 30,
                             "a server to write to a new log file", step=0.2)
                elif cmd.endswith("cron list"):
                    for job in ("archive", "ses_expire", "prod_stats"):
                        assert re.search(rf"^{job} .* ok$", step.out, re.M), step.out
                elif cmd.startswith("sudo mariadb-dump"):
                    dump = read(work / "var/backups/myproject.sql")
                    assert "CREATE TABLE `users`" in dump and "CREATE TABLE `cron`" in dump
    finally:
        undo_admin(mariadb, users, dbs)


def apache_live_check(r, tmp_path, doc, backend):
    """The document's Apache site, run for real in front of a server: a client on 127.0.0.2
    is seen by inphms as 127.0.0.2 (X-Forwarded-For through proxy_mode)."""
    site = [b for b in doc.blocks if b.kind == "apache" and "ProxyPass \"/\" \"http://" in b.text][0]
    port = free_port()
    folder = tmp_path / "apache"
    folder.mkdir()
    text = r.map_text(site.text).replace("<VirtualHost *:80>", f"<VirtualHost *:{port}>")
    (folder / "site.conf").write_text(text)
    main = apache_config(folder, folder / "site.conf", apache_modules(doc.name) | APACHE_MODULES, port)
    proc = subprocess.Popen([apache_binary(), "-X", "-f", str(main)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        def up():
            assert proc.poll() is None, proc.stderr.read()
            try:
                return fetch(port, "GET", "/lib/bootstrap.LICENSE", source="127.0.0.2")[0] == 200
            except OSError:
                return False
        wait_for(up, 30, "Apache", step=0.2)
        status, headers, _ = fetch(port, "GET", "/", source="127.0.0.2")
        assert status == 302 and headers["Location"].endswith("/pages/login/")
        log = read(r.paths["/var/"] + "log/inphms/inphms.log")
        assert "127.0.0.2 GET /lib/bootstrap.LICENSE 200" in log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        proc.stderr.close()


FLYTON_FILES = {
    "client/app/start.py": '''\
# start.py - the admin app: the session, then header, body and footer
import os, sys
sys.path.append(os.path.dirname(__file__))
from tools.sql import *

from admin.header import *
from admin.body import *
from admin.footer import *


def main(data):
    ses = data["ses"]
    w = find_in_sql({'table': 'ses', 'fld': 'id', 'val': ses, 'what': 'user_id', 'is_active': 1})
    if not w:
        print("<p id=noses>please log in</p>")
        return ""
    data["s"] = get_data("ses", ses)
    data["s"]["my_user_id"] = w[0]
    data["s"]["page"] = data.get("rpage", "dashboard")
    header(data)
    body_admin(data)
    footer(data)
''',
    "client/app/admin/header.py": '''\
def header(data):
    print("<!-- myshop header -->")
''',
    "client/app/admin/footer.py": '''\
def footer(data):
    print("<!-- myshop footer -->")
''',
    "client/app/admin/body.py": '''\
import importlib


def body_admin(data):
    page = data["s"]["page"]
    mod = importlib.import_module("admin." + page)
    foo = getattr(mod, page)
    print(f"""<div class=container-fluid id=shopbody>
    {foo(data)}
    </div>""")
''',
    "client/app/admin/dashboard.py": '''\
def dashboard(data):
    return "<h1 id=shopdash>myshop</h1>"
''',
    "client/app/admin/custlist.py": '''\
# custlist.py - the customers, Flyton style: the page prints its html
from tools.sql import *
from tools.kicutil import *
from tools.kiclang import *
from tools.db_cust import *


def custlist(data):
    ses = data["ses"]
    h = f"""<div id=custlist>
        <h2>{txt("Customers")}</h2>
        <table class="table">
    """
    id = ""
    for c in sql_order({'table': 'cust', 'id': id}):
        id = c["id"]
        h += f"""<tr id=c{c["id"]}><td>{c["name"]}</td><td>{cust_mail(c)}</td></tr>
        """
    h += f"""</table>
        <button id=count onclick=cust_count()>{txt("Count")}</button>
        <span id=answer></span>
    </div>
    <script src="/lib/cust.js"></script>
    """
    print(h)
''',
    "server/apis/api/api_custcount.py": '''\
# api_custcount.py - the number of active customers
# (in cgi.py's unsessions list it was not: it needs a session)
from tools.sql import *
from tools.kicapi import *


def api_custcount(data):
    n = count_in_sql({'table': 'cust', 'is_active': 1})[0]
    api_ok({"n": n})
''',
    "server/apis/tools/db_cust.py": '''\
# db_cust.py - the cust table
from tools.sql import *


def db_cust(cust_id):
    return find_in_sql({'table': 'cust', 'fld': 'id', 'val': cust_id})


def cust_mail(c):
    return c["email"] or ""
''',
    "client/lib/cust.js": '''\
async function cust_count() {
    let r = await call_server("api_custcount", {});
    document.getElementById("answer").innerText = r["server"]["n"];
}
''',
    # what stays behind: the CGI plumbing and the old core
    "server/cgi-bin/p": "#!/usr/bin/python3\nimport p4web\n",
    "server/cgi-bin/p4web.py": 'print("content-type: text/html")\nprint("")\n',
    "server/apis/cgi.py": 'unsessions = ["api_login", "ping"]\n',
    "server/apis/tools/sql.py": "raise ImportError('the old Flyton core was imported')\n",
    "server/apis/tools/kicutil.py": "raise ImportError('the old Flyton core was imported')\n",
    "server/apis/tools/db_ses.py": "raise ImportError('the old Flyton core was imported')\n",
    "client/lib/kicdev.server.js": "/* the old copy */\n",
    "client/lib/bootstrap.min.css": "/* the old copy */\n",
    "client/pages/login/index.html": "<p>the old login</p>\n",
}

FLYTON_TABLES = """
CREATE TABLE users (id int AUTO_INCREMENT, username varchar(255) UNIQUE, LastName text, FirstName text,
  Roles json DEFAULT NULL, sis text, is_active bool DEFAULT 1,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL, PRIMARY KEY (id));
CREATE TABLE gen (id int AUTO_INCREMENT, key1 varchar(255), val1 varchar(255), is_active bool DEFAULT 1,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL, PRIMARY KEY (id));
CREATE TABLE ses (id varchar(255) UNIQUE, user_id int, is_active bool DEFAULT 1,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL, PRIMARY KEY (id));
CREATE TABLE cust (id int AUTO_INCREMENT, name varchar(255), email varchar(255), is_active bool DEFAULT 1,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL, PRIMARY KEY (id)) AUTO_INCREMENT=3000;
INSERT INTO users SET id=1001, username='kic', LastName='kic', FirstName='admin', Roles='["admin","owner"]', sis='Zmx5MTIz';
INSERT INTO users SET id=1002, username='dana', LastName='Levi', FirstName='Dana', Roles='["owner"]', sis='!set by hand!';
INSERT INTO gen SET id=10, key1='year', val1='2024';
INSERT INTO ses SET id='2a866fc021714b6ab459bb3d03421', user_id=1001;
INSERT INTO cust (name, email) VALUES ('Dana Levi', 'dana@example.com'), ('Avi Cohen', NULL);
"""


def test_flyton_cgi_commands(tmp_path, mariadb):
    """A small Flyton project and its database, moved in by the document's steps."""
    doc = parse("docs/flyton-cgi.md")
    ini = [b for b in doc.blocks if b.kind == "ini" and "db_engine = mysql" in b.text][0].text
    option = dict(re.findall(r"^(\w+) = (.*)$", ini, re.M))
    db, user, password = option["db_name"], option["db_user"], option["db_password"]
    flyton = tmp_path / "flyton" / "myshop"
    for path, text in FLYTON_FILES.items():
        (flyton / path).parent.mkdir(parents=True, exist_ok=True)
        (flyton / path).write_text(text)
    assert not mariadb_admin(mariadb, f"SHOW DATABASES LIKE '{db}';").strip()
    mariadb_admin(mariadb, f"CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n"
                           f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}';\n"
                           f"GRANT ALL PRIVILEGES ON {db}.* TO '{user}'@'localhost';\n")
    users = [(user, "localhost", password)]
    paths = {"/var/www/myshop": str(flyton), "/run/mysqld/mysqld.sock": mariadb.socket}
    try:
        mariadb_admin(mariadb, FLYTON_TABLES, db)
        with Runner("docs/flyton-cgi.md", tmp_path, paths=paths, mariadb=mariadb) as r:
            port = r.port()
            addon = r.root / "addons" / "myshop"
            for step in r.run():
                cmd = step.cmd
                if cmd.startswith("sudo mariadb-dump"):
                    assert "CREATE TABLE `cust`" in read(r.root / "myshop-before.sql")
                elif cmd == "python inphms-bin flyton check /var/www/myshop":
                    shown = [b.text for b in doc.blocks if b.kind == "text" and "finding(s)" in b.text][0]
                    assert step.out.splitlines() == shown.splitlines(), step.out
                elif cmd == "python inphms-bin -c flyton.conf":
                    ses = login(port, "kic", STDIN["python inphms-bin user add kic --roles admin -c flyton.conf"]
                                .strip())
                    status, _, html = fetch(port, "GET", f"/cgi-bin/p?app=start&r=1&ses={ses}")
                    assert status == 200 and html.startswith("<!DOCTYPE html>"), html
                    assert "<!-- myshop header -->" in html and "id=shopdash" in html
                    assert "id=topbar" not in html
                elif cmd.startswith("FLYTON="):
                    assert not (addon / "client/admin/body.py").exists()
                    assert sorted(p.name for p in (addon / "server/apis/tools").iterdir()) == ["db_cust.py"]
                    assert sorted(p.name for p in (addon / "client/lib").iterdir()) == ["cust.js"]
                    assert (addon / "client/admin/custlist.py").is_file()
                    assert (addon / "server/apis/api/api_custcount.py").is_file()
                elif cmd == "sudo mariadb myshop":
                    for col in ("update_at", "updated_at"):
                        cols = mariadb_admin(mariadb, "SELECT TABLE_NAME FROM information_schema.COLUMNS "
                                                      f"WHERE TABLE_SCHEMA='{db}' AND COLUMN_NAME='{col}';")
                        assert set(cols.split()) >= {"users", "ses", "gen", "cust"}, (col, cols)
                elif cmd == "python inphms-bin db init -c myshop.conf":
                    for table in ("cron", "logs", "ses_arc", "logs_arc"):
                        assert re.search(rf"\b{table}\b", step.out), step.out
                    assert not re.search(r"\b(users|ses|gen|cust)\b,", step.out + ","), step.out
                elif cmd == "python flyton_sis.py myshop.conf":
                    assert "kic: done" in step.out
                    assert "dana: sis is not base64" in step.out
                elif cmd.startswith("grep"):
                    assert "api_custcount.py:2:" in step.out, step.out
                    grep_catches_each_pattern(r, cmd)
                elif cmd == "python inphms-bin -c myshop.conf":
                    assert "First start" not in step.out
                    ses = login(port, "kic", "fly123")
                    dana = login(port, "dana", STDIN["python inphms-bin user passwd dana -c myshop.conf"].strip())
                    status, _, html = page(port, ses, "custlist")
                    assert status == 200 and "id=topbar" in html
                    assert "<td>Dana Levi</td><td>dana@example.com</td>" in html
                    assert "<td>Avi Cohen</td><td></td>" in html
                    answer = api(port, "api_custcount", {}, dana)
                    assert answer["allow"] == 1 and answer["n"] == 2, answer
                    assert ">Customers</h5>" in page(port, ses)[2]
                    old = page(port, "2a866fc021714b6ab459bb3d03421", "custlist")
                    assert old[0] == 302
    finally:
        undo_admin(mariadb, users, [db])


def grep_catches_each_pattern(r, cmd):
    """Each thing the table says to change is found by the document's grep."""
    samples = r.root / "samples"
    samples.mkdir()
    lines = ['print("content-type: text/html")', 'unsessions = ["api_login"]',
             'qs = os.environ.get("QUERY_STRING")', 'sys.path.append("/var/www")',
             'g = data["g"]', 'w = find_in_sql({"table": "ses", "where": "is_active>0"})', "exit()"]
    for n, line in enumerate(lines):
        (samples / f"s{n}.py").write_text(line + "\n")
    done = subprocess.run(["bash", "-c", cmd.replace("addons/myshop", "samples")], cwd=r.root,
                          capture_output=True, text=True, timeout=30)
    found = {Path(l.split(":", 1)[0]).name for l in done.stdout.splitlines()}
    assert found == {f"s{n}.py" for n in range(len(lines))}, done.stdout


SCENARIOS = {
    "README.md": test_readme_commands,
    "docs/getting-started.md": test_getting_started_commands,
    "docs/runtime.md": test_runtime_commands,
    "docs/addons.md": test_addons_commands,
    "docs/cron.md": test_cron_commands,
    "docs/sql.md": test_sql_commands,
    "docs/deploy.md": test_deploy_commands,
    "docs/flyton-cgi.md": test_flyton_cgi_commands,
}
