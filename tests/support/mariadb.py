"""A private MariaDB server for the tests and the benchmark.

    server = MariaDB.for_session(parent)   # parent/<pid>: data, socket, logs
    server.start()                  # mariadb-install-db once, then mariadbd
    name = server.create_database() # a fresh database the test user owns
    server.options(name)            # db_* options for inphms.config.config
    server.stop(); server.start()   # same port, same socket (restart tests)
    server.cleanup()                # stop and remove base_dir

The server listens on its own unix socket and on a free port of 127.0.0.1
only.  Grant tables are on: root logs in through the unix socket (as the
system user running the tests) and the tests use a normal user, ``inphms``
with a password, allowed on the databases named ``inphms_*``.  The user and
a first database are created by an ``--init-file`` the server runs at each
start, so they exist after every restart.  Each test session has its own
folder; folders left by a session that was killed (and their mariadbd) are
removed by the next one.  Needs the Debian packages
mariadb-server and mariadb-client (mariadbd, mariadb-install-db, mariadb).
"""
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pymysql

from tests.support.wait import wait_for

USER = "inphms"
DATABASE = "inphms_test"
SOCKET_MAX = 100            # unix socket paths are limited to ~107 bytes


def find_binary(*names):
    for name in names:
        for folder in (None, "/usr/sbin", "/usr/local/sbin", "/usr/bin"):
            path = shutil.which(name, path=folder) if folder else shutil.which(name)
            if path:
                return path
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MariaDBError(RuntimeError):
    pass


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(parent):
    """Stop and remove the servers of sessions that are gone (parent/<pid>)."""
    parent = os.path.abspath(parent)
    if not os.path.isdir(parent):
        return
    for name in os.listdir(parent):
        if not name.isdigit() or pid_alive(int(name)):
            continue
        base = os.path.join(parent, name)
        stop_orphan(base)
        shutil.rmtree(base, ignore_errors=True)


def stop_orphan(base):
    """SIGTERM the mariadbd of ``base`` if it is still running, and wait for it."""
    try:
        with open(os.path.join(base, "mariadbd.pid")) as handle:
            pid = int(handle.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            if f"--datadir={os.path.join(base, 'data')}".encode() not in handle.read():
                return
    except (OSError, ValueError):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


class MariaDB:
    def __init__(self, base_dir, durable=False):
        self.base = os.path.abspath(str(base_dir))
        # Tests trade durability for speed (flush the redo log once a second);
        # the benchmark keeps MariaDB's default (flush at every commit).
        self.durable = durable
        self.datadir = os.path.join(self.base, "data")
        self.socket = os.path.join(self.base, "mysqld.sock")
        if len(self.socket) > SOCKET_MAX:
            self.socket = os.path.join(tempfile.mkdtemp(prefix="inphms-mdb-"), "mysqld.sock")
        self.log = os.path.join(self.base, "mariadbd.log")
        self.init_file = os.path.join(self.base, "init.sql")
        self.password = secrets.token_urlsafe(18)
        self.port = None
        self.proc = None
        self.counter = itertools.count(1)

    @classmethod
    def for_session(cls, parent, **kwargs):
        """A server in parent/<this pid>, after removing those of dead sessions."""
        reap_stale(str(parent))
        return cls(os.path.join(str(parent), str(os.getpid())), **kwargs)

    # life cycle
    def available(self):
        return find_binary("mariadbd", "mysqld") is not None and \
            find_binary("mariadb-install-db", "mysql_install_db") is not None

    def install(self):
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return
        os.makedirs(self.base, exist_ok=True)
        shutil.rmtree(self.datadir, ignore_errors=True)
        cmd = [find_binary("mariadb-install-db", "mysql_install_db"), "--no-defaults",
               f"--datadir={self.datadir}", "--auth-root-authentication-method=socket",
               "--skip-test-db", "--skip-name-resolve"] + self.user_args()
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode:
            raise MariaDBError("mariadb-install-db failed:\n" + done.stdout[-3000:])

    def user_args(self):
        if os.geteuid() == 0:
            return ["--user=root"]
        return []

    def write_init_file(self):
        pw = self.password.replace("'", "''")
        lines = [f"CREATE USER IF NOT EXISTS '{USER}'@'{host}' IDENTIFIED BY '{pw}';\n"
                 f"ALTER USER '{USER}'@'{host}' IDENTIFIED BY '{pw}';\n"
                 f"GRANT ALL PRIVILEGES ON `inphms\\_%`.* TO '{USER}'@'{host}';\n"
                 for host in ("localhost", "127.0.0.1")]
        lines.append(f"CREATE DATABASE IF NOT EXISTS `{DATABASE}` "
                     "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n")
        with open(self.init_file, "w") as handle:
            handle.writelines(lines)
        os.chmod(self.init_file, 0o600)

    def start(self, timeout=60):
        if self.proc is not None and self.proc.poll() is None:
            return self
        self.install()
        self.write_init_file()
        self.port = self.port or free_port()
        cmd = [find_binary("mariadbd", "mysqld"), "--no-defaults", f"--datadir={self.datadir}",
               f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
               f"--pid-file={os.path.join(self.base, 'mariadbd.pid')}", f"--log-error={self.log}",
               f"--init-file={self.init_file}", "--skip-name-resolve",
               "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
               "--innodb-buffer-pool-size=128M", "--max-connections=1000", "--skip-log-bin",
               # room for a result row over 16 MiB, which MariaDB sends in two packets
               "--max-allowed-packet=64M",
               f"--innodb-flush-log-at-trx-commit={1 if self.durable else 2}"] + self.user_args()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise MariaDBError(f"mariadbd exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise MariaDBError(f"mariadbd not ready after {timeout} s:\n{self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self, size=3000):
        try:
            with open(self.log, errors="replace") as handle:
                return handle.read()[-size:]
        except OSError:
            return "(no log)"

    def stop(self, timeout=60):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        if not self.socket.startswith(self.base):
            shutil.rmtree(os.path.dirname(self.socket), ignore_errors=True)

    # use
    def connect(self, database=DATABASE, via="socket"):
        where = {"unix_socket": self.socket} if via == "socket" else {"host": "127.0.0.1", "port": self.port}
        return pymysql.connect(user=USER, password=self.password, database=database,
                               charset="utf8mb4", autocommit=True, connect_timeout=5, **where)

    def running(self, database=None, connection=None):
        """Ids of the other connections running a statement now (on ``database``,
        or only ``connection`` when given, whatever it does)."""
        q = "SELECT ID FROM information_schema.PROCESSLIST WHERE ID != CONNECTION_ID()"
        params = []
        if connection is not None:
            q += " AND ID = %s"
            params.append(connection)
        else:
            q += " AND COMMAND = 'Query' AND DB = %s"
            params.append(database)
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(q, params)
            return [row[0] for row in cur.fetchall()]

    def wait_statements_done(self, database, timeout=10):
        """Wait until no other connection runs a statement on ``database``: what
        was sent before a freeze has been carried out (or rolled back)."""
        wait_for(lambda: not self.running(database), timeout,
                 f"the statements on {database} to end")

    def wait_connection_gone(self, connection, timeout=10):
        """Wait until connection ``connection`` (an id, e.g. after KILL) has left the server."""
        wait_for(lambda: not self.running(connection=connection), timeout,
                 f"connection {connection} to leave")

    def create_database(self, prefix="inphms_t"):
        name = f"{prefix}{os.getpid()}_{next(self.counter)}"
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return name

    def drop_database(self, name):
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def options(self, database=DATABASE, via="tcp"):
        """db_* options of inphms.config.config for this server."""
        host = self.socket if via == "socket" else "127.0.0.1"
        return {"db_engine": "mysql", "db_host": host, "db_port": self.port, "db_user": USER,
                "db_password": self.password, "db_name": database}
