# api_raw.py - one raw write with kic_sql (which raises when it fails)
from tools.kicapi import *
from tools.sql import *


def api_raw(data):
    kic_sql("INSERT INTO gen (key1, val1) VALUES (%s, '1')", (data["post"]["input"].get("k", "x"),))
    api_ok()
