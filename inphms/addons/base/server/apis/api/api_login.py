# api_login.py - user and password in, a session (or the MFA step) out
from tools.kicapi import *
from tools.sql import *
from tools.db_users import *

public = 1


def api_login(data):
    i = data["post"]["input"]
    t = user_login(i.get("u"), i.get("p"))
    if not t["ok"]:
        api_err("wrong user or password")
        return
    w = t["user"]
    d = get_data("users", w["id"])
    if d.get("mfa", {}).get("on"):
        api_ok({"mfa": 1, "pre": user_mfa_pre(w["id"])})
        return
    api_ok({"ses": user_ses(w)})
