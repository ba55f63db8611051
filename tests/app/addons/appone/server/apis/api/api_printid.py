import time

from tools.kicapi import *


def api_printid(data):
    n = data["post"]["input"]["n"]
    print(f',"printed":{n}')
    time.sleep(0.01)    # on purpose: other requests run meanwhile, their output must not mix in
    api_ok({"n": n})
