# api_gal_put.py - one insert_to_sql into gal_note; answers its id
import os

from tools.kicapi import *
from tools.sql import *

public = 1


def api_gal_put(data):
    t = data["post"]["input"].get("token", "")
    w = insert_to_sql({"table": "gal_note", "set": {"token": t, "pid": os.getpid()}})
    if not w["status"]:
        api_err(w["err"])
        return
    api_ok({"id": w["id"], "pid": os.getpid()})
