# api_mfa.py - the second step of a login with MFA: the one-time code
from tools.kicapi import *
from tools.db_users import *

public = 1


def api_mfa(data):
    i = data["post"]["input"]
    t = user_mfa_check(i.get("pre"), i.get("code"))
    if not t["ok"]:
        api_err("wrong code")
        return
    api_ok({"ses": user_ses(t["user"])})
