# api_mfa.py - the second step of a login with MFA: the one-time code
# the rules are the runtime's (inphms.auth), never a tool an addon could shadow
from tools.kicapi import *
from inphms.auth import users

public = 1


def api_mfa(data):
    i = data["post"]["input"]
    w = users.finish_code_step(i.get("pre"), i.get("code"))
    if w is None:
        api_err("wrong code")
        return
    api_ok({"ses": users.open_session(w)})
