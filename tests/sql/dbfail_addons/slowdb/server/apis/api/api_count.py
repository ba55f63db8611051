# api_count.py - one quick read of the database
from tools.kicapi import *
from tools.sql import *


def api_count(data):
    api_ok({"users": count_in_sql({"table": "users"})})
