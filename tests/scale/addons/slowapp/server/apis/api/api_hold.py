# api_hold.py - holds its thread: input.s seconds asleep, or with input.cpu until it used
# input.s seconds of CPU (at most 30 s of wall clock, on a busy machine)
import os
import time

from tools.kicapi import *

public = 1


def api_hold(data):
    i = data["post"]["input"]
    s = float(i.get("s", 1))
    if i.get("cpu"):
        cpu = time.thread_time() + s
        until = time.monotonic() + 30
        while time.thread_time() < cpu and time.monotonic() < until:
            sum(range(1000))
    else:
        time.sleep(s)   # on purpose: this API holds its request this long
    api_ok({"pid": os.getpid()})
