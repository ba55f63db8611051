# api_slow.py - a statement that takes input.s seconds on the database (MariaDB's SLEEP)
from tools.kicapi import *
from tools.sql import *


def api_slow(data):
    s = float(data["post"]["input"].get("s", 1))
    w = kic_sql("SELECT SLEEP(%s) AS slept", (s,))
    api_ok({"slept": int(w[0][0])})
