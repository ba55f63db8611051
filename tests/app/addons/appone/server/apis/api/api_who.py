from tools.kicapi import *


def api_who(data):
    api_ok({"user_id": data["user_id"], "s": data["s"], "ses_len": len(data["ses"])})
