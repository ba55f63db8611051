# api_pid.py - which process answered
import os

from tools.kicapi import *

public = 1


def api_pid(data):
    api_ok({"pid": os.getpid()})
