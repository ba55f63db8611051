# api_put.py - one write: a row of gen with key1 = input.k (input.stop: as api_raw)

from tools.dbstop import dbstop
from tools.kicapi import *
from tools.sql import *


def api_put(data):
    i = data["post"]["input"]
    if i.get("stop"):
        dbstop(int(i["stop"]))
    t = insert_to_sql({"table": "gen", "set": {"key1": i.get("k", "x"), "val1": "1"}})
    if not t["status"]:
        api_err("not saved", t)
        return
    api_ok(t)
