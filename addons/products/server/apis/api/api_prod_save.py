# api_prod_save.py - save a product, new or changed, from the edit form (prod.js prod_save)
#
# input:  {"prod_id": "" (new) or 4001, "name": "Green tea", "sku": "TEA-GRN-100",
#          "price": "12.50", "attr": [["color", "green"], ...], "note": "new supplier"}
# answer: {"allow": 1, "prod_id": 4001, "new": 1, "changed": ["name", "price", ...]}
#         {"allow": 0, "msg": "Please fix the marked fields", "errs": {"name": "A name is needed", "attr0": ...}}
from tools.kicapi import *
from tools.kiclang import *
from tools.db_prod import *


def api_prod_save(data):
    i = data["post"]["input"]
    if not isinstance(i, dict):
        api_err(txt("The input is not an object"))
        return
    prod_id = 0
    if i.get("prod_id"):
        p = db_prod(i["prod_id"])
        if not p:
            api_err(txt("No such product"))
            return
        prod_id = p["id"]
    e = prod_check(i, prod_id)
    if e:
        api_err(txt("Please fix the marked fields"), {"errs": e})
        return
    t = prod_save(i, prod_id, data["s"])
    if not t["status"]:
        api_err(txt("The product was not saved"))
        return
    new = 1
    if prod_id:
        new = 0
    api_ok({"prod_id": t["id"], "new": new, "changed": t["changed"]})
