"""Small constant tables kept as rows of `gen` (Flyton's "gen tables").

Two kinds of rows, both read from the row's JSON data:

- a list table: key1 = the list's name, data = the list (or a dict).
      gen: key1='enc_type', data='["base64", "AESGCM128bit"]'
      list_gen_tab("enc_type")          -> ['base64', 'AESGCM128bit']
- a code dictionary of a table's column: key1 = '<table>_dict',
  data = {column: {code: label}}.
      gen: key1='worksp_dict', data='{"is_active": {"0": "archive", "1": "ready"}}'
      list_tab_dict("worksp", "is_active") -> {'0': 'archive', '1': 'ready'}

Only active gen rows count; when several active rows share a key1 the last
(highest id) wins, as in gen_data().  A missing row or key gives an empty
list / dict, so a page can loop over the answer without a check.
"""

from tools.sql import *
from tools.sql import parse_json

__all__ = ["list_gen_tab", "list_tab_dict"]


def list_gen_tab(tab):
    """The data of gen row key1=tab (a list, or a dict); [] when there is none."""
    g = gen_row(tab)
    return g.get("data") or []


def list_tab_dict(table, fld):
    """{code: label} of column fld of table, from gen row key1='<table>_dict'; {} when none."""
    g = gen_row(f"{table}_dict")
    d = g.get("data")
    if not isinstance(d, dict):
        return {}
    return d.get(fld) or {}


def gen_row(key1):
    w = find_rows({"table": "gen", "fld": "key1", "val": key1, "is_active": 1,
                     "what": "id,val1,data", "sort": "id", "desc": 1})
    if not w:
        return {}
    g = {"id": w["id"], "val": w["val1"]}
    d = parse_json(w["data"])
    if d:
        g["data"] = d
    return g
