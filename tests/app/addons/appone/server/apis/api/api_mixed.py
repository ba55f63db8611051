from tools.kicapi import *


def api_mixed(data):
    print(',"n":1,"m":"printed"')
    api_ok({"n": 2, "k": [1]})
    print(',"m":"printed after api_ok"')
    return {"r": 1}
