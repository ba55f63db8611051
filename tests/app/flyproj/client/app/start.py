# start.py - the admin app: check the session, then header, body, footer
import os, sys
sys.path.append(os.path.dirname(__file__))
from tools.sql import *

from admin.header import *
from admin.body import *
from admin.footer import *


def main(data):
    ses = data["ses"]
    w = find_in_sql({'table': 'ses', 'fld': 'id', 'val': ses, 'what': 'user_id,is_active', 'is_active': 1})
    if not w:
        print("<p id=noses>no session, <a href=/pages/login/fly_login.html>login</a></p>")
        return ""
    s = get_data("ses", ses)
    s["my_user_id"] = w[0]
    data["s"] = s
    if "rpage" in data:
        s["page"] = data["rpage"]
    if "page" not in s:
        s["page"] = "dashboard"
    header(data)
    body_admin(data)
    footer(data)
