"""Run the real server in a subprocess, as an operator would, for tests.

``InphmsProcess`` writes a config file, starts ``python inphms-bin`` with
it on a free loopback port, waits until the port answers, and gives the
test what it needs: the pid, the log, signals, plain HTTP requests.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "inphms-bin")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path, **options):
    lines = ["[options]"] + [f"{key} = {value}" for key, value in options.items()]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


class InphmsProcess:
    """One server process started from a config file in ``workdir``."""

    def __init__(self, workdir, args=(), env=None, port=None, **options):
        self.workdir = str(workdir)
        self.port = port or free_port()
        options.setdefault("http_interface", "127.0.0.1")
        options.setdefault("http_port", self.port)
        options.setdefault("data_dir", os.path.join(self.workdir, "data"))
        options.setdefault("logfile", os.path.join(self.workdir, "server.log"))
        self.options = options
        self.config_path = write_config(os.path.join(self.workdir, "inphms.conf"), **options)
        self.logfile = options["logfile"]
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def command(self):
        return [sys.executable, BIN, "-c", self.config_path] + self.args

    def start(self, wait=True, **popen):
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
        if wait:
            self.wait_ready()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise RuntimeError(f"server exited {self.proc.returncode}: {err.decode()}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server not ready on port {self.port}\n{self.log()}")

    def wait_log(self, text, count=1, timeout=15):
        """Wait until ``text`` appears ``count`` times in the log; returns the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return log
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not {count} times in the log:\n{self.log()}")

    def log(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""

    def signal(self, signum):
        os.kill(self.proc.pid, signum)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def get(self, path, headers=None, timeout=10):
        """(status, headers, body) of one GET on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()


def user_cli(site, *args, stdin=""):
    """``inphms-bin user ARGS`` on the config of ``site`` (anything with ``config_path``)."""
    return subprocess.run([sys.executable, BIN, "user", *args, "-c", site.config_path],
                          input=stdin, capture_output=True, text=True, timeout=60)


def partial_request(port, path="/lib/bootstrap.LICENSE"):
    """A connection that has sent half a request: it holds a request slot."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())
    return sock


def read_all(sock):
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def finish_request(sock):
    """Send the end of the headers and read the whole response (the server then closes)."""
    sock.sendall(b"Connection: close\r\n\r\n")
    answer = read_all(sock)
    sock.close()
    return answer
