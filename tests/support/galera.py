"""A private three-node MariaDB Galera cluster on 127.0.0.1, for the scale tests.

    cluster = GaleraCluster(size=3).start()  # node 0 bootstraps, the others join (SST)
    cluster.options(i, name)                  # db_* options of inphms for node i
    cluster.kill(i); cluster.restart(i)       # SIGKILL, then rejoin (--wsrep-recover, IST)
    cluster.isolate(i, True)                  # cut node i off (gmcast.isolate): no quorum
    cluster.cleanup()

Each node has its own client port, group port (gmcast), IST port and SST
port, all on loopback.  mariadbd runs as the ``mysql`` user with datadirs it
owns (run as root, the rsync SST daemon drops to ``nobody`` and the joiners
abort with "Permission denied"); the folder is made outside pytest's
root-only temporary folder so that user can reach it.  The test user
``inphms`` is made on the first node and reaches the others with the SST.
Needs mariadb-server (which brings galera-4) and rsync.
"""
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import pymysql

from tests.support.mariadb import USER, MariaDBError, find_binary, free_port

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
# group timeouts: a lost node is noticed within seconds, yet a node that a
# busy machine starves of CPU for 3 s is not taken for lost (Galera's default
# suspect and install timeouts; its 15 s inactive timeout shortened)
EVS = ("evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;evs.inactive_check_period=PT0.5S;"
       "evs.keepalive_period=PT1S;evs.install_timeout=PT7.5S;gcache.size=64M")


def missing():
    """What this machine lacks to run a cluster (empty when nothing)."""
    need = []
    if not os.path.exists(PROVIDER):
        need.append(PROVIDER + " (galera-4)")
    if shutil.which("rsync") is None:
        need.append("rsync")
    if find_binary("mariadbd") is None:
        need.append("mariadbd (mariadb-server)")
    try:
        pwd.getpwnam("mysql")
    except KeyError:
        need.append("the mysql user (mariadb-server)")
    return need


class Node:
    def __init__(self, base, index, ports):
        self.index = index
        self.base = os.path.join(base, f"node{index}")
        self.datadir = os.path.join(self.base, "data")
        self.socket = os.path.join(self.base, "sock")
        self.log = os.path.join(self.base, "error.log")
        self.tmpdir = os.path.join(self.base, "tmp")     # not /tmp: other servers use it
        self.port, self.gport, self.ist, self.sst = ports
        self.proc = None

    def command(self, peers, new_cluster):
        cmd = [find_binary("mariadbd"), "--no-defaults", f"--datadir={self.datadir}",
               f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
               f"--tmpdir={self.tmpdir}",
               f"--log-error={self.log}", f"--pid-file={self.base}/mariadbd.pid", "--user=mysql",
               "--skip-name-resolve", "--character-set-server=utf8mb4",
               "--collation-server=utf8mb4_unicode_ci", "--innodb-buffer-pool-size=32M",
               "--innodb-log-file-size=16M", "--max-connections=300",
               "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin",
               "--wsrep-on=ON", f"--wsrep-provider={PROVIDER}",
               f"--wsrep-cluster-address=gcomm://{peers}", "--wsrep-cluster-name=inphms_test",
               f"--wsrep-node-address=127.0.0.1:{self.gport}",
               f"--wsrep-node-incoming-address=127.0.0.1:{self.port}",
               f"--wsrep-sst-receive-address=127.0.0.1:{self.sst}",
               f"--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{self.gport};"
               f"ist.recv_addr=127.0.0.1:{self.ist};{EVS}",
               "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--wsrep-sst-method=rsync",
               # conflicts of autocommit statements reach inphms, whose retry they test
               "--wsrep-retry-autocommit=0",
               "--default-storage-engine=InnoDB"]
        if new_cluster:
            cmd.append("--wsrep-new-cluster")
        return cmd

    def install(self):
        os.makedirs(self.tmpdir, exist_ok=True)
        chown_tree(self.base)
        done = subprocess.run([find_binary("mariadb-install-db"), "--no-defaults",
                               f"--datadir={self.datadir}", "--user=mysql", "--skip-test-db",
                               f"--tmpdir={self.tmpdir}",
                               "--auth-root-authentication-method=socket", "--skip-name-resolve"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode:
            raise MariaDBError("mariadb-install-db failed:\n" + done.stdout[-3000:])
        chown_tree(self.base)

    def connect(self, user="root", password=None, database=None, timeout=20):
        args = dict(unix_socket=self.socket, user=user, autocommit=True, connect_timeout=timeout,
                    read_timeout=timeout, write_timeout=timeout)
        if password is not None:
            args.update(password=password, unix_socket=None, host="127.0.0.1", port=self.port)
        if database:
            args["database"] = database
        return pymysql.connect(**args)

    def status(self):
        """{wsrep status name: value} through the root socket."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep%'")
            return dict(cur.fetchall())

    def log_tail(self, size=4000):
        try:
            with open(self.log, errors="replace") as handle:
                return handle.read()[-size:]
        except OSError:
            return "(no log)"


def chown_tree(path):
    user = pwd.getpwnam("mysql")
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


class GaleraCluster:
    def __init__(self, size=3):
        self.base = tempfile.mkdtemp(prefix="inphms-galera-")
        os.chmod(self.base, 0o755)
        self.password = secrets.token_urlsafe(18)
        self.nodes = [Node(self.base, i, [free_port() for _ in range(4)]) for i in range(size)]
        self.peers = ",".join(f"127.0.0.1:{n.gport}" for n in self.nodes)

    def start(self, timeout=90):
        for node in self.nodes:
            node.install()
        self.launch(self.nodes[0], new_cluster=True)
        self.wait_synced(self.nodes[0], timeout)
        with self.nodes[0].connect() as conn, conn.cursor() as cur:
            for host in ("localhost", "127.0.0.1"):
                cur.execute(f"CREATE USER '{USER}'@'{host}' IDENTIFIED BY %s", (self.password,))
                cur.execute(f"GRANT ALL PRIVILEGES ON `inphms\\_%`.* TO '{USER}'@'{host}'")
        for node in self.nodes[1:]:
            self.join(node, timeout)
        return self

    def join(self, node, timeout):
        """Start a new node and wait for its full copy (SST), once more if it aborts.

        On a starved machine a joiner sometimes aborts its first copy ("State
        wait was interrupted": the group reconfigured under it); mariadbd then
        exits and, as a supervisor would, it is started again.
        """
        self.launch(node)
        try:
            self.wait_synced(node, timeout)
        except MariaDBError as exc:
            if node.proc.poll() is None:
                raise
            errors = [line for line in str(exc).splitlines() if "[ERROR]" in line] or [""]
            print(f"GALERA node {node.index} aborted its first state transfer, started again: "
                  f"{errors[-1][:200]}", flush=True)
            self.launch(node)
            self.wait_synced(node, timeout)

    def launch(self, node, new_cluster=False, start_position=None):
        cmd = node.command(self.peers, new_cluster)
        if start_position:
            cmd.append(f"--wsrep-start-position={start_position}")
        node.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_synced(self, node, timeout=90):
        deadline = time.monotonic() + timeout
        while True:
            if node.proc.poll() is not None:
                raise MariaDBError(f"node {node.index} exited with {node.proc.returncode}:\n"
                                   f"{node.log_tail()}")
            try:
                st = node.status()
                if st.get("wsrep_local_state_comment") == "Synced" and st.get("wsrep_ready") == "ON":
                    return st
            except pymysql.err.Error:
                pass
            if time.monotonic() > deadline:
                raise MariaDBError(f"node {node.index} not synced after {timeout} s:\n"
                                   f"{node.log_tail()}")
            time.sleep(0.2)

    def options(self, index, database):
        node = self.nodes[index]
        return {"db_engine": "mysql", "db_host": "127.0.0.1", "db_port": node.port,
                "db_user": USER, "db_password": self.password, "db_name": database}

    def query(self, index, sql, params=None, database=None):
        with self.nodes[index].connect(database=database) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    # faults
    def kill(self, index):
        node = self.nodes[index]
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait(30)

    def restart(self, index, timeout=90):
        """Start a killed node again: it rejoins the others and catches up.

        After a crash the node does not know how far it got (grastate.dat
        says seqno -1) and would ask for a full copy (SST); as Debian's
        service does (galera_recovery), ``--wsrep-recover`` reads the
        position from InnoDB first, so the node asks only for what it
        missed (IST).
        """
        node = self.nodes[index]
        self.launch(node, start_position=self.recover(node))
        return self.wait_synced(node, timeout)

    def recover(self, node):
        log = os.path.join(node.base, "recover.log")
        cmd = [a for a in node.command(self.peers, False) if not a.startswith("--log-error")]
        subprocess.run(cmd + ["--wsrep-recover", f"--log-error={log}"], timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(log, errors="replace") as handle:
            found = re.findall(r"WSREP: Recovered position: (\S+)", handle.read())
        if not found:
            raise MariaDBError(f"node {node.index}: --wsrep-recover found no position")
        return found[-1]

    def isolate(self, index, on):
        value = "1" if on else "0"
        with self.nodes[index].connect() as conn, conn.cursor() as cur:
            cur.execute(f"SET GLOBAL wsrep_provider_options = 'gmcast.isolate={value}'")

    def stop(self):
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                node.proc.wait(30)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
