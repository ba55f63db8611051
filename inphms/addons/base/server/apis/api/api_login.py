# api_login.py - user and password in, a session (or the MFA step) out
# the rules are the runtime's (inphms.auth), never a tool an addon could shadow
from tools.kicapi import *
from inphms.auth import users

public = 1


def api_login(data):
    i = data["post"]["input"]
    w = users.login(i.get("u"), i.get("p"))
    if w is None:
        api_err("wrong user or password")
        return
    if users.needs_code(w):
        api_ok({"mfa": 1, "pre": users.begin_code_step(w["id"])})
        return
    api_ok({"ses": users.open_session(w)})
