from tools.kicapi import *

public = 1


def api_pub(data):
    api_ok({"pub": 1, "s": data["s"]})
