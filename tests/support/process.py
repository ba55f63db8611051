"""What a test can see of a server process from outside: its children, its
memory, the sockets it holds, and a load client to run beside it.

``has_read`` reads the kernel's socket table (Linux /proc): it is the
positive signal that the server has accepted a connection and read what the
client sent, where a test would otherwise sleep "until the request thread
is reading the headers".
"""
import os
import signal
import textwrap
import time

from tests.support.wait import wait_for

# A load client for a subprocess: GET /lib/bootstrap.LICENSE, a fresh
# connection each, until COUNT requests or LIMIT seconds; prints "ok failed".
# argv: port count limit
LOAD_CLIENT = textwrap.dedent("""
    import http.client, sys, time
    port, count, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    ok = failed = 0
    end = time.monotonic() + limit
    for i in range(count):
        if time.monotonic() > end:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/lib/bootstrap.LICENSE")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 200 and body.rstrip().endswith(b"SOFTWARE."):
                ok += 1
            else:
                failed += 1
            conn.close()
        except Exception as exc:
            failed += 1
            print("failed:", repr(exc), file=sys.stderr)
    print(ok, failed)
""")


def children(pid):
    """Pids of the direct children of ``pid``, sorted."""
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return sorted(int(p) for p in handle.read().split())


def wait_children(pid, count, timeout=15, other_than=()):
    """Wait until ``pid`` has ``count`` children, none of them in ``other_than``; returns them."""
    def ready():
        now = children(pid)
        return now if len(now) == count and not set(now) & set(other_than) else None
    got = wait_for(ready, timeout)
    if got is None:
        raise AssertionError(f"children of {pid}: {children(pid)}, wanted {count} new ones")
    return got


def stop_every_thread(pid, timeout=5):
    """SIGSTOP ``pid`` and return once every thread of it shows stopped in /proc.

    kill() only asks: the main thread can show ``T`` while a worker thread of
    mariadbd on the other core still answers the statement sent next, for a
    few milliseconds on a busy machine.
    """
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(thread_state(pid, task) in ("T", "t", None) for task in tasks(pid)):
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop within {timeout} s")


def tasks(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []


def thread_state(pid, task):
    """The state letter of one thread (R, S, T...), None once it is gone."""
    try:
        with open(f"/proc/{pid}/task/{task}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def rss_kb(pid):
    """Resident memory of ``pid`` in kB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def socket_inodes(pid):
    """Inodes of the sockets open in ``pid`` and in its children."""
    inodes = set()
    for owner in [pid] + children(pid):
        try:
            names = os.listdir(f"/proc/{owner}/fd")
        except FileNotFoundError:
            continue
        for name in names:
            try:
                target = os.readlink(f"/proc/{owner}/fd/{name}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def held_connections(pid, port):
    """Connections to local ``port`` that ``pid`` (or a child) has accepted, as
    a list of bytes each still has unread in its receive queue (IPv4 loopback)."""
    mine = socket_inodes(pid)
    unread = []
    with open("/proc/net/tcp") as handle:
        next(handle)
        for line in handle:
            fields = line.split()
            local, state, queues, inode = fields[1], fields[3], fields[4], fields[9]
            if int(local.split(":")[1], 16) != port or state != "01" or inode not in mine:
                continue
            unread.append(int(queues.split(":")[1], 16))
    return unread


def has_read(pid, port, count=1, timeout=10):
    """Wait until ``pid`` holds at least ``count`` accepted connections on
    ``port`` with nothing left unread: what the clients sent is in the server's
    hands (a request thread or the poller is reading the head)."""
    def done():
        return len([left for left in held_connections(pid, port) if left == 0]) >= count
    wait_for(done, timeout, f"the server to accept and read {count} connection(s) on port {port}")
