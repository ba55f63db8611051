from tools.kicapi import *


def api_start_prv(data):
    api_ok({"ses_given": len(data["ses"])})
