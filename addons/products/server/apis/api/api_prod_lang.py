# api_prod_lang.py - the language of this session's pages: txt() reads the session's "lang"
#
# input:  {"lang": "he"}     one of langs
# answer: {"allow": 1, "lang": "he"}; every page of the session is in Hebrew from the next one
from tools.kicapi import *
from tools.kiclang import *
from tools.db_ses import *

langs = ("en", "he")


def api_prod_lang(data):
    i = data["post"]["input"]
    if not isinstance(i, dict) or i.get("lang") not in langs:
        api_err(txt("Unknown language"))
        return
    t = add2ses(data["ses"], {"lang": i["lang"]})
    if not t["status"]:
        api_err(txt("The language was not saved"))
        return
    api_ok({"lang": i["lang"]})
