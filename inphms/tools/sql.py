"""Flyton's sql tools: every read and write of addon code goes through here.

    from tools.sql import *

    w = find_in_sql({'table': 'users', 'fld': 'username', 'val': u, 'what': 'id,sis'})
    if not w:
        return "no user"
    t = insert_to_sql({'table': 'prod', 'set': {'name': 'tea'}, 'data': {'color': 'red'}})

Values always travel as query parameters; table, column, alias and JSON key
names are checked (letters, digits, _; t.col for columns) and a bad one is
refused: the read functions raise SqlError, the write functions
(insert_to_sql, add_to_data) answer {"status": 0, "err": ...}.  A database
error raises SqlError, except in the write functions, which answer status 0
(and "unknown": 1 when the connection was lost after the write was sent: it
may have been applied, see docs/sql.md on writes safe to retry).
The full reference with an example per function is docs/sql.md.
"""
import html
import json
import logging
import re

from inphms.sql import OutcomeUnknown, SqlError, cursor
from inphms.sql import build

__all__ = ["find_in_sql", "insert_to_sql", "sql_order", "sql_next", "count_in_sql",
           "get_data", "add_to_data", "save_to_data", "get_record", "gen_data", "kic_sql",
           "SqlError"]

log = logging.getLogger(__name__)
batch = 1000
plain_key = re.compile(r"[A-Za-z0-9_-]+")


def find_in_sql(r):
    """The first matching row, or with 'all' the list of rows; False when none."""
    with cursor() as cr:
        q, p, jnames = build.select(cr.engine, r)
        show(r, q, p)
        cr.execute(q, p)
        w = cr.fetchall()
    if not w:
        return False
    if jnames:
        w = decode_keys(cr.engine, w, jnames)
    if r.get("all"):
        return w
    return w[0]


def decode_keys(eng, rows, jnames):
    """data:key columns come as JSON text: give their Python values."""
    cls = type(rows[0])
    names = list(cls.names)
    # The last column of that name: a data:key column comes after a real one.
    spots = [len(names) - 1 - names[::-1].index(n) for n in jnames if n in names]
    out = []
    for w in rows:
        v = list(w)
        for i in spots:
            v[i] = eng.json_decode(v[i])
        out.append(cls(v))
    return out


def show(r, q, p):
    if not r.get("debug"):
        return
    # The page shows the values (debug is for development); the log does not.
    log.info("debug sql=%s", q)
    print(f"<br> sql={html.escape(q)} params={html.escape(repr(p))} <br>")


def count_in_sql(r):
    """How many rows match (same fld/val, where, is_active, joins as find_in_sql)."""
    with cursor() as cr:
        q, p, j = build.select(cr.engine, r, count=True)
        show(r, q, p)
        cr.execute(q, p)
        w = cr.fetchone()
    return int(w[0])


def insert_to_sql(r):
    """Insert a row (no 'id') or update row 'id'; {"status":1,"id":..} or {"status":0,"err":..}."""
    try:
        return write_row(r)
    except SqlError as e:
        return write_failed(e)


def write_failed(e):
    """{"status":0,"err":..}; with "unknown":1 when the write may have been applied all the same."""
    if isinstance(e, OutcomeUnknown):
        return {"status": 0, "err": str(e), "unknown": 1}
    return {"status": 0, "err": str(e)}


def write_row(r):
    if not isinstance(r, dict) or "table" not in r:
        return {"status": 0, "err": "insert_to_sql needs a 'table'"}
    s = r.get("set", {})
    if not isinstance(s, dict):
        return {"status": 0, "err": "set must be a dict: {'col': value}"}
    if "id" in r and "data" in r:
        return {"status": 0, "err": "data is for new rows; use add_to_data() on an existing row"}
    s = {k: to_value(v) for k, v in s.items()}
    if "data" in r:
        s["data"] = to_value(r["data"])
    if "id" in r:
        return update_row(r, s)
    return insert_row(r, s)


def to_value(v):
    """dict/list -> JSON text, True/False -> 1/0; anything else as it is."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bool):
        return int(v)
    return v


def insert_row(r, s):
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, r["table"], "table")
        cols = [build.qname(e, k) for k in s]
        q = e.insert_defaults(t)
        if cols:
            q = f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        show(r, q, list(s.values()))
        cr.execute(q, list(s.values()))
        id = cr.lastrowid
    if "id" in s:
        id = s["id"]
    return {"status": 1, "id": id}


def update_row(r, s):
    if not s:
        return {"status": 0, "err": "set is empty: nothing to update"}
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, r["table"], "table")
        sets = ", ".join(f"{build.qname(e, k)} = %s" for k in s)
        q = f"UPDATE {t} SET {sets} WHERE {e.quote('id')} = %s"
        p = list(s.values()) + [r["id"]]
        show(r, q, p)
        cr.execute(q, p)
        n = cr.rowcount
    if not n:
        return no_row(r["table"], r["id"])
    return {"status": 1, "id": r["id"]}


def no_row(table, id):
    return {"status": 0, "err": f"no row with id {id!r} in {table}"}


def sql_order(r):
    """A generator of dict rows in id order after r['id'], read in batches (keyset pages)."""
    id = r.get("id") or ""
    n = int(r.get("batch") or batch)
    while True:
        w = next_rows(r, id, n)
        for x in w:
            yield x
        if len(w) < n:
            return
        id = w[-1]["id"]


def sql_next(r):
    """The next row after r['id'] as a dict, or {"id": ""} at the end."""
    w = next_rows(r, r.get("id") or "", 1)
    if not w:
        return {"id": ""}
    return w[0]


def next_rows(r, id, n):
    a = r.get("is_active", 1)
    where = dict(r.get("where") or {})
    if id != "":
        where["id/after"] = (">", id)
    w = find_in_sql({"table": r["table"], "where": where, "is_active": a, "sort": "id",
                     "limit": n, "all": 1, "debug": r.get("debug")})
    if not w:
        return []
    return [x.todict() for x in w]


def get_data(table, id, fld="id"):
    """The JSON 'data' of a row as a dict; {} when there is no row or no data."""
    w = find_in_sql({"table": table, "fld": fld, "val": id, "what": "data"})
    if not w:
        return {}
    return to_dict(w[0])


def to_dict(v):
    if not v:
        return {}
    try:
        d = json.loads(v)
    except ValueError:
        log.warning("data is not JSON: %.80r", v)
        return {}
    if not isinstance(d, dict):
        return {}
    return d


def add_to_data(table, id, key, val=""):
    """Merge into the row's JSON data, atomically; val "!del" removes the key.

    key is one key (with val) or a dict of keys and values.
    Answers {"status":1,"id":id} or {"status":0,"err":..}.
    """
    if isinstance(key, dict):
        kv = dict(key)
    else:
        kv = {key: val}
    try:
        return merge_data(table, id, kv)
    except SqlError as e:
        return write_failed(e)


save_to_data = add_to_data


def merge_data(table, id, kv):
    kv = {str(k): v for k, v in kv.items()}
    js = in_place(kv)
    if js is None:
        return merge_locked(table, id, kv)
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, table, "table")
        d, i = e.quote("data"), e.quote("id")
        x, p = e.json_object(d), []
        sets = [k for k in js if js[k] is not None]
        gone = [k for k in js if js[k] is None]
        if sets:
            pairs = ", ".join([f"%s, {e.json_param}"] * len(sets))
            x = f"JSON_SET({x}, {pairs})"
        for k in sets:
            p += [f'$."{k}"', js[k]]
        if gone:
            paths = ", ".join(["%s"] * len(gone))
            x = f"JSON_REMOVE({x}, {paths})"
        p += [f'$."{k}"' for k in gone]
        cr.execute(f"UPDATE {t} SET {d} = {x} WHERE {i} = %s", p + [id])
        n = cr.rowcount
    if not n:
        return no_row(table, id)
    return {"status": 1, "id": id}


def in_place(kv):
    """{key: JSON text, None for "!del"} when one UPDATE can merge kv in the database, else None.

    One statement holds the row's lock only while it runs, where a read and
    a write hold it across two round trips.  Keys that would need escaping
    in a JSON path, and NaN or infinity (not JSON, so the database would not
    take them), take the read-and-write way, as before.
    """
    js = {}
    for k, v in kv.items():
        if not plain_key.fullmatch(k):
            return None
        if v == "!del":
            js[k] = None
            continue
        try:
            j = json.dumps(v, ensure_ascii=False, default=str, allow_nan=False)
        except ValueError:
            return None
        js[k] = j
    return js


def merge_locked(table, id, kv):
    with cursor(tx=True) as cr:
        e = cr.engine
        t = build.qname(e, table, "table")
        d, i = e.quote("data"), e.quote("id")
        cr.execute(f"SELECT {d} FROM {t} WHERE {i} = %s{e.for_update}", (id,))
        w = cr.fetchone()
        if w is None:
            return no_row(table, id)
        obj = to_dict(w[0])
        for k, v in kv.items():
            obj[k] = v
            if v == "!del":
                del obj[k]
        j = json.dumps(obj, ensure_ascii=False, default=str)
        cr.execute(f"UPDATE {t} SET {d} = %s WHERE {i} = %s", (j, id))
    return {"status": 1, "id": id}


def get_record(table, id, fld="id"):
    """The row as a dict, its data keys merged in (columns win); {} when none."""
    w = find_in_sql({"table": table, "fld": fld, "val": id, "what": "*"})
    if not w:
        return {}
    rec = w.todict()
    obj = to_dict(rec.pop("data", None))
    return {**obj, **rec}


def gen_data():
    """{key1: {"id":.., "val":.., "data":..}} of the active rows of gen ("data" only when set)."""
    w = find_in_sql({"table": "gen", "is_active": 1, "what": "id,key1,val1,data", "sort": "id", "all": 1})
    gen = {}
    for x in w or []:
        g = {"id": x["id"], "val": x["val1"]}
        d = parse_json(x["data"])
        if d:
            g["data"] = d
        gen[x["key1"]] = g
    return gen


def parse_json(v):
    if not v:
        return None
    try:
        return json.loads(v)
    except ValueError:
        return None


def kic_sql(q, params=None):
    """Raw SQL with %s parameters, for admin scripts only.

    Rows (a list) for a statement that returns rows, else
    {"status":1, "row_count":.., "id": last insert id}.
    """
    with cursor() as cr:
        cr.execute(q, params)
        if cr.description is not None:
            return cr.fetchall()
        return {"status": 1, "row_count": cr.rowcount, "id": cr.lastrowid}
