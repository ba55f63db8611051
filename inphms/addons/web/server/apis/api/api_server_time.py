# api_server_time.py - the server's time and the user asking
import time

from tools.kicapi import *


def api_server_time(data):
    s = data["s"]
    api_ok({"time": time.strftime("%Y-%m-%d %H:%M:%S"), "user": s.get("uname", "")})
