"""Flyton's central log: one row of `logs` per outside action.

    log_id = add_log("sms send", {"to": phone, "text": t}, {"user_id": user_id})
    ... call the outside service ...
    add_log_res(log_id, answer)

send_text and response are stored as text: a dict or list as JSON, anything
else as str().  data (a dict) goes to the row's JSON data.
"""
import json

from tools.sql import *

__all__ = ["add_log", "add_log_res"]


def add_log(act_type, send_text, data=""):
    """A new logs row; returns its id (0 when it could not be written)."""
    s = {"act_type": str(act_type), "send_text": as_text(send_text)}
    r = {"table": "logs", "set": s}
    if isinstance(data, dict) and data:
        r["data"] = data
    w = insert_to_sql(r)
    if not w["status"]:
        return 0
    return w["id"]


def add_log_res(log_id, response):
    """Keep the answer of the action in the log row; 1 when written, else 0."""
    w = insert_to_sql({"table": "logs", "id": log_id, "set": {"response": as_text(response)}})
    return w["status"]


def as_text(v):
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return f"{v}"
