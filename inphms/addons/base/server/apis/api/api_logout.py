# api_logout.py - end this session
from tools.kicapi import *
from inphms.auth import sessions


def api_logout(data):
    sessions.end(data["ses"])
    api_ok()
