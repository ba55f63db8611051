"""Wait for an event itself, never for a fixed time: a value turning true, a
port answering.

Every wait is bounded: at its deadline it fails (or hands the last value
back to the caller's assert), so a test that misses its event fails instead
of hanging, and one that sees it goes on at once.
"""
import socket
import time


def wait_for(check, timeout=15, what=None, step=0.05):
    """The first true value ``check()`` returns, trying every ``step`` s for at
    most ``timeout`` s.  At the deadline: ``AssertionError`` naming ``what``
    when it is given, otherwise the last (false) value, for the caller's assert."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            if what is not None:
                raise AssertionError(f"waited {timeout} s for {what}")
            return got
        time.sleep(step)


def port_answers(port, host="127.0.0.1"):
    """True when a TCP connection to ``port`` is accepted now."""
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_port(port, timeout=30, proc=None):
    """Wait until ``port`` accepts connections; ``proc`` (a Popen) must stay alive meanwhile."""
    def up():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before port {port} answered"
                                 + (f": {proc.stderr.read()}" if proc.stderr else ""))
        return port_answers(port)
    wait_for(up, timeout, f"port {port} to answer")
