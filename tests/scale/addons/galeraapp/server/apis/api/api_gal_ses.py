# api_gal_ses.py - add2ses of the keys given, into the caller's session
import os

from tools.kicapi import *
from tools.db_ses import *


def api_gal_ses(data):
    kv = data["post"]["input"].get("kv", {})
    t = add2ses(data["ses"], kv)
    if not t["status"]:
        api_err(t["err"])
        return
    api_ok({"pid": os.getpid()})
