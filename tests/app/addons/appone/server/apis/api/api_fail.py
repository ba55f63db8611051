from tools.kicapi import *


def api_fail(data):
    api_err("nope", {"code": 7})
