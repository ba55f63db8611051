# api_bench_save.py - the benchmark's API call: one atomic write into the session
from tools.kicapi import *
from tools.db_ses import *


def api_bench_save(data):
    i = data["post"]["input"]
    t = add2ses(data["ses"], {"n": i.get("n", 0)})
    if not t["status"]:
        api_err(t["err"])
        return
    api_ok()
