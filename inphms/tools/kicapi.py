"""Answers of Flyton API functions: api_ok() and api_err().

    from tools.kicapi import *

    def api_prod_save(data):
        i = data["post"]["input"]
        if not i.get("name"):
            api_err("name is missing")
            return
        api_ok({"prod_id": 4001})

As Flyton's, they add to the answer in their turn: what the API printed
before (`print(',"n":1')`) and after is kept, a later key replacing an
earlier one; the values of more keep their JSON types.  The answer belongs
to the request being served (its thread or greenlet), so two calls at the
same moment never see each other's answer.  The browser reads it as
responseData["server"]["allow"], ["msg"] and the keys of more.
"""
import json

from inphms import http, printcapture

__all__ = ["api_ok", "api_err"]


def api_ok(more={}):
    """allow 1, msg "ok", and the keys of more."""
    answer({"allow": 1, "msg": "ok", **(more or {})})


def api_err(msg, more={}):
    """allow 0, msg and err = msg, and the keys of more; returns 0."""
    answer({"allow": 0, "msg": msg, "err": msg, **(more or {})})
    return 0


def answer(d):
    if printcapture.put(d):
        return
    # not inside an API call (a tool run from a page or the shell): keep it on the request
    r = http.current_request()
    if r is not None:
        r.answer = {**(r.answer or {}), **d}


def mores(more):
    """Flyton's text of more keys: {"price": 100.4} -> ',"price":"100.4"' (each value as text).

    Keys and values are JSON-escaped, so a quote in a value cannot end the
    answer's string early (Flyton's pastes them as they are).
    """
    s = ""
    for k in more or {}:
        s += f",{json.dumps(str(k), ensure_ascii=False)}:{json.dumps(str(more[k]), ensure_ascii=False)}"
    return s


__all__ += ["mores"]
