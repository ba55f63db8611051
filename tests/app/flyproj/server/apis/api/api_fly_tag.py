# api_fly_tag.py - keeps a tag in gen, with a text set and a text where as Flyton code writes them
from tools.sql import *
from tools.kicapi import *


def api_fly_tag(data):
    tag = data["post"]["input"]["tag"]
    t = insert_to_sql({'table': 'gen', 'set': f"key1='fly_tag',val1='{tag}'"})
    if not t["status"]:
        api_err("not saved", {"why": t["err"]})
        return
    id = t["id"]
    w = find_in_sql({'table': 'gen', 'what': 'id,val1', 'where': f"key1='fly_tag' AND id={id}"})
    api_ok({"id": id, "val1": w["val1"]})
