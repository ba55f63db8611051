"""The server process: serving, pid file, limits, users, socket activation."""
import os
import signal
import socket
import subprocess
import sys

from tests.support.process import has_read
from tests.support.server import BIN, ROOT, finish_request, free_port, partial_request
from tests.support.wait import wait_port

LICENSE = "/lib/bootstrap.LICENSE"


def test_serves_on_configured_port_and_writes_pidfile(server_factory, tmp_path):
    pidfile = tmp_path / "inphms.pid"
    server = server_factory(pidfile=str(pidfile))
    status, headers, body = server.get(LICENSE)
    assert status == 200 and b"MIT License" in body
    assert pidfile.read_text().strip() == str(server.pid)
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert not pidfile.exists()


def test_plain_launcher_and_server_flag_both_serve(tmp_path):
    # no -c: the server reads ./inphms.conf of its working folder
    for extra in ([], ["--server"]):
        port = free_port()
        (tmp_path / "inphms.conf").write_text(
            f"[options]\nhttp_interface = 127.0.0.1\nhttp_port = {port}\ndata_dir = data\n")
        proc = subprocess.Popen([sys.executable, BIN] + extra, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_port(port, 15, proc)       # the port of ./inphms.conf
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
            proc.stdout.close()
            proc.stderr.close()


def test_default_port_is_8069():
    from inphms.config import configmanager
    assert configmanager()["http_port"] == 8069


def test_stop_after_init_exits_without_serving(tmp_path):
    port = free_port()
    result = subprocess.run([sys.executable, BIN, "--stop-after-init", "--http-port", str(port),
                             "--data-dir", str(tmp_path)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "stop after init" in result.stderr
    assert "HTTP service" not in result.stderr


def test_limit_memory_hard_sets_rlimit_as(server_factory):
    limit = 3 * 1024 ** 3
    server = server_factory(limit_memory_hard=limit)
    with open(f"/proc/{server.pid}/limits") as handle:
        line = next(l for l in handle if l.startswith("Max address space"))
    assert line.split()[3] == str(limit)


def test_root_warning_follows_the_real_user(tmp_path):
    result = subprocess.run([sys.executable, BIN, "--stop-after-init", "--data-dir", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    warned = "Running as user 'root' is a security risk." in result.stderr
    assert warned == (os.geteuid() == 0)


def test_db_user_root_is_refused(tmp_path):
    result = subprocess.run([sys.executable, BIN, "--db-engine", "mysql", "--db-user", "root",
                             "--data-dir", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "db_user = root is refused" in result.stderr


def test_max_http_threads_makes_third_request_wait(server_factory):
    server = server_factory(env={"INPHMS_MAX_HTTP_THREADS": "2"})
    first = partial_request(server.port, LICENSE)
    second = partial_request(server.port, LICENSE)
    has_read(server.pid, server.port, 2)        # both slots are taken
    third = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    third.sendall(f"GET {LICENSE} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    # a window, with its reason: the third connection waits unaccepted, so
    # there is no event to see; a request that ran would be answered from a
    # static file in milliseconds, and 1.5 s without an answer is a wait for a slot
    third.settimeout(1.5)
    try:
        data = third.recv(100)
    except socket.timeout:
        data = None
    assert data is None, "a third request ran while two slots were taken"
    assert finish_request(first).startswith(b"HTTP/1.1 200")
    third.settimeout(10)
    assert third.recv(100).startswith(b"HTTP/1.1 200")
    third.close()
    finish_request(second)


def test_without_cap_many_requests_run_at_once(server_factory):
    server = server_factory()
    socks = [partial_request(server.port, LICENSE) for _ in range(5)]
    has_read(server.pid, server.port, 5)
    status, _, _ = server.get(LICENSE, timeout=5)
    assert status == 200
    for sock in socks:
        finish_request(sock)


LAUNCH = """
import os, sys
fd = int(sys.argv[1])
os.dup2(fd, 3)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.executable, [sys.executable] + sys.argv[2:])
"""


def test_systemd_socket_activation(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    unused_port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(listener.fileno()), BIN,
         "--http-port", str(unused_port), "--logfile", str(log), "--data-dir", str(tmp_path)],
        cwd=tmp_path, pass_fds=(listener.fileno(),), stderr=subprocess.PIPE)
    listener.close()    # only the server holds the socket now
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"GET {LICENSE} HTTP/1.1\r\nHost: x\r\n".encode())
            assert finish_request(sock).startswith(b"HTTP/1.1 200")
        assert "using the listening socket handed to this process" in log.read_text()
        # the configured port was never bound
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", unused_port)) != 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        proc.stderr.close()


def test_port_in_use_fails_with_one_clear_message(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, BIN, "--http-interface", "127.0.0.1",
                                 "--http-port", str(port), "--data-dir", str(tmp_path)],
                                cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_editable_install_points_at_this_tree():
    from importlib import metadata
    import inphms
    dist = metadata.distribution("inphms")
    assert dist.version == inphms.__version__
    assert os.path.dirname(inphms.__file__) == os.path.join(ROOT, "inphms")
