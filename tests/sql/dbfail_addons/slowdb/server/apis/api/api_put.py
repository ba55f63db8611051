# api_put.py - one write: a row of gen with key1 = input.k
from tools.kicapi import *
from tools.sql import *


def api_put(data):
    t = insert_to_sql({"table": "gen", "set": {"key1": data["post"]["input"].get("k", "x"), "val1": "1"}})
    if not t["status"]:
        api_err("not saved", t)
        return
    api_ok(t)
