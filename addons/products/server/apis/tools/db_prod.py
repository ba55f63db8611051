"""db_prod: the products (table prod) and their history lines (table prod_data).

    from tools.db_prod import *

    p = db_prod(prod_id)                    # the row, p["data"] a dict; {} when none
    e = prod_check(i, prod_id)              # {field: error text}; {} when i can be saved
    t = prod_save(i, prod_id, data["s"])    # {"status": 1, "id": .., "changed": [..]}
    w, more = prod_page(id, 10, prod_where(q, k, v))

An input `i` (what api_prod_save gets) is {"name", "sku", "price" ("12.50"),
"attr" ([[key, value], ...] or {key: value}), "note"}.  The price is kept in
cents.  The attributes are the keys of the row's data; an attribute sent
with an empty value is removed.  Every change adds a prod_data line.
"""
import json
import re

from tools.sql import *
from tools.kiclang import *

__all__ = ["db_prod", "prod_check", "prod_save", "prod_off", "prod_where", "prod_page",
           "prod_find", "prod_lines", "prod_count", "prod_data_count", "prod_attr",
           "prod_key_ok", "prod_price", "prod_dir"]

cols = ("id", "name", "sku", "price", "is_active", "created_at", "updated_at", "data")
key_re = re.compile(r"[a-z][a-z0-9_]{0,31}")
sku_re = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
price_re = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
max_attr = 30
max_text = 255
max_note = 1000


def db_prod(prod_id):
    """The row of product prod_id (active or not) as a dict, its data a dict; {} when none."""
    if not str(prod_id).isdigit():
        return {}
    w = find_in_sql({'table': 'prod', 'fld': 'id', 'val': int(prod_id)})
    if not w:
        return {}
    p = dict(w)
    p["data"] = prod_attr(p)
    return p


def prod_attr(p):
    """The attributes of a prod row: its data as a dict ({} when none)."""
    d = p.get("data")
    if isinstance(d, dict):
        return d
    if not d:
        return {}
    try:
        d = json.loads(d)
    except ValueError:
        return {}
    if not isinstance(d, dict):
        return {}
    return d


def prod_text(v):
    """An input value as stripped text; "" for what is not a text or a number."""
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return ""
    return str(v).strip()


def prod_cents(v):
    """The cents of a price text: "12.5" -> 1250; -1 when it is not a price."""
    t = prod_text(v)
    if not price_re.fullmatch(t):
        return -1
    a, dot, b = t.partition(".")
    return int(a) * 100 + int((b + "00")[:2])


def prod_price(c):
    """Cents as a price text: 1250 -> "12.50"."""
    c = int(c or 0)
    return f"{c // 100}.{c % 100:02d}"


def prod_key_ok(k):
    """1 when k can name an attribute (small letters, digits, _; not a column)."""
    if not key_re.fullmatch(k or "") or k in cols:
        return 0
    return 1


def prod_pairs(a):
    """The attribute pairs of an input as (key, value) texts; None for a malformed one."""
    if isinstance(a, dict):
        a = list(a.items())
    if not isinstance(a, list):
        return []
    w = []
    for x in a:
        if not isinstance(x, (list, tuple)) or len(x) != 2:
            w.append(None)
            continue
        w.append((prod_text(x[0]), prod_text(x[1])))
    return w


def prod_vals(i):
    """The values of an input, cleaned: name, sku, price (cents, -1 when bad), attr, note."""
    a = {}
    for x in prod_pairs(i.get("attr")):
        if x and x[0] and x[1]:
            a[x[0]] = x[1]
    return {"name": prod_text(i.get("name")), "sku": prod_text(i.get("sku")),
            "price": prod_cents(i.get("price")), "attr": a, "note": prod_text(i.get("note"))}


def prod_check(i, prod_id=0):
    """{field: error text} of an input to save; {} when it can be saved.

    The fields are name, sku, price, note, attr (the list itself) and
    attr0, attr1, ... (one attribute pair each).
    """
    v = prod_vals(i)
    e = {"name": prod_check_name(v["name"]), "sku": prod_check_sku(v["sku"], prod_id),
         "price": prod_check_price(v["price"]), "note": prod_check_note(v["note"])}
    e.update(prod_check_attr(i.get("attr")))
    return {k: m for k, m in e.items() if m}


def prod_check_name(t):
    if not t:
        return txt("A name is needed")
    if len(t) > max_text:
        return txt("A name has 255 characters at most")
    return ""


def prod_check_sku(t, prod_id):
    if not t:
        return txt("A SKU is needed")
    if not sku_re.fullmatch(t):
        return txt("A SKU has letters, digits and . _ - (64 at most)")
    w = find_in_sql({'table': 'prod', 'fld': 'sku', 'val': t, 'what': 'id',
                     'where': {'id': ('!=', int(prod_id or 0))}})
    if w:
        return txt("This SKU belongs to another product")
    return ""


def prod_check_price(c):
    if c < 0:
        return txt("A price is a number like 12.50")
    return ""


def prod_check_note(t):
    if len(t) > max_note:
        return txt("A note has 1000 characters at most")
    return ""


def prod_check_attr(a):
    """{"attr": text} or {"attr<n>": text} for the attribute pairs of an input."""
    if a is None:
        return {}
    if not isinstance(a, (list, dict)):
        return {"attr": txt("Attributes are a list of [name, value] pairs")}
    w = prod_pairs(a)
    if len(w) > max_attr:
        return {"attr": txt("30 attributes at most")}
    e = {}
    seen = []
    for n, x in enumerate(w):
        m = prod_check_pair(x, seen)
        if m:
            e[f"attr{n}"] = m
        if x:
            seen.append(x[0])
    return e


def prod_check_pair(x, seen):
    if x is None:
        return txt("An attribute is a [name, value] pair")
    k, v = x
    if not k and not v:
        return ""
    if not k:
        return txt("A value needs a name")
    if not key_re.fullmatch(k):
        return txt("A name has small letters, digits and _ (32 at most)")
    if k in cols:
        return txt("This name belongs to the product itself")
    if k in seen:
        return txt("This name is there twice")
    if len(v) > max_text:
        return txt("A value has 255 characters at most")
    if v == "!del":
        return txt("This value is kept for the system")
    return ""


def prod_save(i, prod_id, s):
    """Save a checked input as a new product (no prod_id) or over product prod_id.

    s is the session's data (who saves).  Answers {"status": 1, "id": prod_id,
    "changed": [fields]} or {"status": 0, "err": ..}.
    """
    v = prod_vals(i)
    by = {"by": s.get("my_user_id", 0), "uname": s.get("uname", "")}
    if not prod_id:
        return prod_new(v, by)
    return prod_change(db_prod(prod_id), v, by)


def prod_new(v, by):
    t = insert_to_sql({'table': 'prod', 'set': {'name': v["name"], 'sku': v["sku"], 'price': v["price"]},
                       'data': v["attr"]})
    if not t["status"]:
        return t
    now = {"name": v["name"], "sku": v["sku"], "price": v["price"], **v["attr"]}
    prod_line(t["id"], "created", by, {"now": now}, v["note"])
    return {"status": 1, "id": t["id"], "changed": list(now)}


def prod_change(p, v, by):
    if not p:
        return {"status": 0, "err": "no such product"}
    was, now = prod_diff(p, v)
    if not was and not v["note"]:
        return {"status": 1, "id": p["id"], "changed": []}
    t = prod_write(p["id"], was, now)
    if not t["status"]:
        return t
    name = "changed"
    if not was:
        name = "note"
    prod_line(p["id"], name, by, {"was": was, "now": now}, v["note"])
    return {"status": 1, "id": p["id"], "changed": list(was)}


def prod_diff(p, v):
    """(was, now): the old and new value of each field and attribute that changes."""
    was, now = {}, {}
    for k in ("name", "sku", "price"):
        if p[k] != v[k]:
            was[k], now[k] = p[k], v[k]
    old = {k: x for k, x in p["data"].items() if k not in cols}
    for k in sorted(set(old) | set(v["attr"])):
        if str(old.get(k, "")) != v["attr"].get(k, ""):
            was[k], now[k] = old.get(k, ""), v["attr"].get(k, "")
    return was, now


def prod_write(prod_id, was, now):
    """Write the changed columns, then the changed attributes (an empty one is removed)."""
    c, a = {}, {}
    for k in was:
        if k in cols:
            c[k] = now[k]
            continue
        a[k] = now[k]
        if not now[k]:
            a[k] = "!del"
    if c:
        t = insert_to_sql({'table': 'prod', 'id': prod_id, 'set': c})
        if not t["status"]:
            return t
    if a:
        return add_to_data("prod", prod_id, a)
    return {"status": 1, "id": prod_id}


def prod_line(prod_id, name, by, d, note=""):
    """A prod_data line about product prod_id: what happened (name), who, the details."""
    d = {**by, **d}
    if note:
        d["note"] = note
    return insert_to_sql({'table': 'prod_data', 'set': {'prod_id': prod_id, 'name': name}, 'data': d})


def prod_off(p, off, s):
    """Switch product row p off (off=1) or on again (off=0), with a line; {"status", "id"}."""
    a = 1 - off
    if p["is_active"] == a:
        return {"status": 1, "id": p["id"]}
    t = insert_to_sql({'table': 'prod', 'id': p["id"], 'set': {'is_active': a}})
    if not t["status"]:
        return t
    name = "switched off"
    if a:
        name = "switched on"
    by = {"by": s.get("my_user_id", 0), "uname": s.get("uname", "")}
    prod_line(p["id"], name, by, {})
    return t


def prod_where(q="", k="", v=""):
    """The where of a search: name contains q, and attribute k is v (k alone: k is set)."""
    w = {}
    if q:
        w["name"] = ("like", q)
    if not prod_key_ok(k):
        return w
    w[k] = ("!=", "", "data")
    if v:
        w[k] = ("=", v, "data")
    return w


def prod_page(id, n, where={}):
    """Up to n active products after id, in id order, and 1 when more follow: (rows, more)."""
    w = []
    for p in sql_order({'table': 'prod', 'id': id, 'where': where, 'batch': n + 1}):
        if len(w) == n:
            return w, 1
        w.append(p)
    return w, 0


def prod_find(q="", n=20):
    """Products (active or not) whose name contains q, the last changed first."""
    w = find_in_sql({'table': 'prod', 'where': {'name': ('like', q)}, 'sort': 'updated_at,id',
                     'desc': 1, 'limit': n, 'all': 1})
    return w or []


def prod_lines(prod_id, n=100):
    """The last n prod_data lines of a product, the newest first, data as a dict."""
    w = find_in_sql({'table': 'prod_data', 'fld': 'prod_id', 'val': prod_id, 'sort': 'id',
                     'desc': 1, 'limit': n, 'all': 1})
    return [{**dict(x), "data": prod_attr(dict(x))} for x in w or []]


def prod_count(where={}, a=1):
    """How many products match where with is_active a (None: any)."""
    return count_in_sql({'table': 'prod', 'where': where, 'is_active': a})[0]


def prod_data_count():
    """How many prod_data lines there are."""
    return count_in_sql({'table': 'prod_data'})[0]


def prod_dir(s):
    """The text direction of the session's language: rtl for Hebrew, else ltr."""
    if s.get("lang") == "he":
        return "rtl"
    return "ltr"
