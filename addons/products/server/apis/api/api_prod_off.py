# api_prod_off.py - switch a product off, or on again (admins only; prod.js prod_off)
#
# input:  {"prod_id": 4001, "off": 1}     off 0 switches it on again
# answer: {"allow": 1, "prod_id": 4001, "is_active": 0}
#         {"allow": 0, "msg": "no alw"} for a user who is not an admin
from tools.kicapi import *
from tools.kiclang import *
from tools.db_ses import *
from tools.db_prod import *


def api_prod_off(data):
    if not is_ses_role(data["ses"], "admin"):
        api_err("no alw")
        return
    i = data["post"]["input"]
    if not isinstance(i, dict):
        api_err(txt("The input is not an object"))
        return
    p = db_prod(i.get("prod_id", ""))
    if not p:
        api_err(txt("No such product"))
        return
    off = 1
    if str(i.get("off", 1)) == "0":
        off = 0
    t = prod_off(p, off, data["s"])
    if not t["status"]:
        api_err(txt("The product was not saved"))
        return
    api_ok({"prod_id": p["id"], "is_active": 1 - off})
