# api_logout.py - end this session
from tools.kicapi import *
from tools.db_ses import *


def api_logout(data):
    end_ses(data["ses"])
    api_ok()
