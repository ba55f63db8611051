# api_slow.py - waits one second in the database, then answers
import os

from tools.kicapi import *
from tools.sql import *

public = 1


def api_slow(data):
    w = kic_sql("SELECT SLEEP(1) AS s, CONNECTION_ID() AS c")
    api_ok({"slept": w[0]["s"], "conn": w[0]["c"], "pid": os.getpid()})
