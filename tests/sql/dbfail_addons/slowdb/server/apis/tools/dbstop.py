# dbstop.py - stop the database process (SIGSTOP) and return once every thread of it is stopped:
# kill() only asks, and a thread of mariadbd running on the other core could still answer
import os
import signal
import time


def dbstop(pid):
    os.kill(pid, signal.SIGSTOP)
    end = time.monotonic() + 2
    while time.monotonic() < end:
        if allstop(pid):
            return 1
        time.sleep(0.001)
    return 0


def allstop(pid):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 1
    for t in tasks:
        if state(pid, t) not in ("T", "t", ""):
            return 0
    return 1


def state(pid, t):
    try:
        with open(f"/proc/{pid}/task/{t}/stat") as f:
            s = f.read()
    except OSError:
        return ""
    return s.rpartition(")")[2].split()[0]
