# api_hold.py - holds its thread: input.s seconds asleep, or spinning the CPU with input.cpu
import os
import time

from tools.kicapi import *

public = 1


def api_hold(data):
    i = data["post"]["input"]
    until = time.monotonic() + float(i.get("s", 1))
    if i.get("cpu"):
        while time.monotonic() < until:
            sum(range(1000))
    else:
        time.sleep(max(0.0, until - time.monotonic()))
    api_ok({"pid": os.getpid()})
