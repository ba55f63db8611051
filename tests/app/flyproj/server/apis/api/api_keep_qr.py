# api_keep_qr.py - keeps a scanned text in the session; answers with api_ok
from tools.db_ses import *
from tools.kicapi import *


def api_keep_qr(data):
    ses = data["post"]["info"]["ses"]
    qr = data["post"]["input"]["qr_content"]
    add2ses(ses, {"last_qr_raw": qr})
    api_ok({"saved": 1, "length": len(qr)})
