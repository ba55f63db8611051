# api_gal_get.py - the row of gal_note with this token, read on this server's node
import os

from tools.kicapi import *
from tools.sql import *

public = 1


def api_gal_get(data):
    t = data["post"]["input"].get("token", "")
    w = find_in_sql({"table": "gal_note", "fld": "token", "val": t, "what": "id,token,pid"})
    if not w:
        api_err("no such note")
        return
    api_ok({"id": w["id"], "token": w["token"], "pid": os.getpid()})
