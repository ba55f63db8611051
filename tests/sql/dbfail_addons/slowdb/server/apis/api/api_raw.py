# api_raw.py - one raw write with kic_sql (which raises when it fails); with input.stop,
# the database process of that pid is stopped (SIGSTOP) first, after the session lookup,
# so that the write goes out and its answer never comes: the test's fault, injected

from tools.dbstop import dbstop
from tools.kicapi import *
from tools.sql import *


def api_raw(data):
    i = data["post"]["input"]
    if i.get("stop"):
        dbstop(int(i["stop"]))
    kic_sql("INSERT INTO gen (key1, val1) VALUES (%s, '1')", (i.get("k", "x"),))
    api_ok()
