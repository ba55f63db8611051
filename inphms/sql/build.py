"""Build the SELECT statements of ``tools.sql`` from Flyton request dicts.

Every value becomes a ``%s`` parameter.  Every table, column, alias and JSON
key, as a whole, is checked against ``[A-Za-z_][A-Za-z0-9_]*`` (``t.col``
allowed where a column is expected) and quoted; anything else raises
``SqlError`` before a statement is built.  The grammar of each option is documented in docs/sql.md.
"""
import re

from .errors import SqlError
from . import textsql

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# \Z, not $: "$" also matches before a final newline, so "name\n" would pass
NAME_RE = re.compile(rf"^{NAME}\Z")
COLUMN_RE = re.compile(rf"^{NAME}(?:\.{NAME})?\Z")
WHAT_RE = re.compile(rf"""^(?:
      (?P<fn>count|sum|min|max|avg)\(\s*(?P<arg>\*|{NAME}(?:\.{NAME})?)\s*\)
    | (?P<star>(?:{NAME}\.)?\*)
    | (?P<col>{NAME}(?:\.{NAME})?)(?::(?P<key>{NAME}))?
    )(?:\s+(?:as\s+)?(?P<alias>{NAME}))?\Z""", re.X | re.I)
AND_RE = re.compile(rf"^\s*({NAME}(?:\.{NAME})?)\s*(=|!=|<>|<=|>=|<|>)\s*({NAME}(?:\.{NAME})?|-?[0-9]+)\s*\Z")
OPS = {"=": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "like": "LIKE", "in": "IN"}
JOINS = (("join", "INNER"), ("ljoin", "LEFT"), ("rjoin", "RIGHT"))


def check(name, what="column", dotted=True):
    """``name`` when it is a safe name; SqlError otherwise."""
    pattern = COLUMN_RE if dotted else NAME_RE
    if not isinstance(name, str) or not pattern.match(name):
        raise SqlError(f"bad {what} name {name!r}: letters, digits and _ only")
    return name


def qname(eng, name, what="column"):
    return ".".join(eng.quote(part) for part in check(name, what).split("."))


def table_spec(text):
    """'prod' -> ('prod', 'prod'); 'prod p' or 'prod AS p' -> ('prod', 'p')."""
    parts = str(text).split() if isinstance(text, str) else []
    if len(parts) == 3 and parts[1].lower() == "as":
        parts = [parts[0], parts[2]]
    if len(parts) not in (1, 2):
        raise SqlError(f"bad table {text!r}: 'table' or 'table alias'")
    table = check(parts[0], "table", dotted=False)
    return table, check(parts[-1], "alias", dotted=False)


def from_sql(eng, text):
    table, alias = table_spec(text)
    if alias == table:
        return eng.quote(table), alias
    return f"{eng.quote(table)} {eng.quote(alias)}", alias


def value_kind(value):
    if isinstance(value, (bool, int, float)):
        return "num"
    if isinstance(value, str):
        return "text"
    return ""


def what_sql(eng, what):
    """(select list, params, names of JSON key columns) for ``what``."""
    items = what if isinstance(what, (list, tuple)) else str(what or "*").split(",")
    parts, params, json_names = [], [], []
    for item in items:
        text = str(item).strip()
        m = WHAT_RE.match(text)
        if m is None:
            raise SqlError(f"bad what item {text!r}: a column, t.col, *, data:key or count(col)")
        alias = m.group("alias")
        if m.group("fn"):
            arg = m.group("arg")
            inner = "*" if arg == "*" else qname(eng, arg)
            label = alias or f"{m.group('fn').lower()}({arg})"
            parts.append(f"{m.group('fn').upper()}({inner}) AS {eng.quote(label)}")
        elif m.group("star"):
            star = m.group("star")
            parts.append("*" if star == "*" else qname(eng, star[:-2], "table") + ".*")
        elif m.group("key"):
            label = alias or m.group("key")
            parts.append(f"{eng.json_text(qname(eng, m.group('col')))} AS {eng.quote(label)}")
            params.append("$." + m.group("key"))
            json_names.append(label)
        else:
            col = qname(eng, m.group("col"))
            parts.append(col if not alias else f"{col} AS {eng.quote(alias)}")
    return ", ".join(parts), params, json_names


def condition(eng, key, value):
    """One where entry -> (sql, params)."""
    if not isinstance(key, str):
        raise SqlError(f"bad where key {key!r}")
    col, _sep, suffix = key.partition("/")
    if suffix and not NAME_RE.match("_" + suffix):
        raise SqlError(f"bad where key {key!r}: use col or col/2")
    op, jcol = "=", None
    if isinstance(value, (tuple, list)):
        if len(value) not in (2, 3) or not isinstance(value[0], str) or value[0].lower() not in OPS:
            raise SqlError(f"where {key!r}: use (op, value) or (op, value, 'data'), "
                           f"op one of {' '.join(OPS)}")
        op, value, jcol = value[0].lower(), value[1], (value[2] if len(value) == 3 else None)
    if isinstance(value, bool):
        value = int(value)
    params = []
    left = qname(eng, col)
    if jcol is not None:
        check(col, "data key", dotted=False)
        kind = value_kind(value[0] if op == "in" and value else value)
        left = eng.json_scalar(qname(eng, jcol), "text" if op == "like" else kind)
        params.append("$." + col)
    return compare(left, op, value, key, params)


def compare(left, op, value, key, params):
    if value is None and op in ("=", "!="):
        return f"{left} IS {'NOT ' if op == '!=' else ''}NULL", params
    if op == "in":
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise SqlError(f"where {key!r}: 'in' needs a list of values")
        values = [int(v) if isinstance(v, bool) else v for v in value]
        if not values:
            return "1 = 0", []
        return f"{left} IN ({', '.join(['%s'] * len(values))})", params + values
    if isinstance(value, (dict, list, tuple, set)) or value is None:
        raise SqlError(f"where {key!r}: {type(value).__name__} is not a value for {op!r}")
    if op == "like":
        return f"{left} LIKE %s ESCAPE '!'", params + [like_pattern(value)]
    return f"{left} {OPS[op]} %s", params + [value]


def like_pattern(value):
    """Flyton's like means "contains": the value is found anywhere in the
    column, each of its characters taken literally (% and _ too)."""
    text = str(value).replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{text}%"


def conditions(eng, where):
    if where is None or where == {} or where == "":
        return [], []
    if isinstance(where, list):
        # several parts ANDed: what tools.sql joins to a caller's where (sql_order)
        sqls, params = [], []
        for part in where:
            s, p = conditions(eng, part)
            sqls += s
            params += p
        return sqls, params
    if isinstance(where, (str, int)) and not isinstance(where, bool):
        # Flyton's text form: parsed, its literals made parameters (textsql)
        sql, params = textsql.where_sql(eng, where if isinstance(where, str) else str(where))
        return [f"({sql})"], params
    if not isinstance(where, dict):
        raise SqlError("where must be a dict {'col': value}, or a text condition (docs/sql.md)")
    sqls, params = [], []
    for key, value in where.items():
        sql, p = condition(eng, key, value)
        sqls.append(sql)
        params += p
    return sqls, params


def join_and(eng, spec):
    """The extra ON condition of a join: a where dict or 'a.col = b.col' / 'a.col = 1'."""
    if isinstance(spec, dict):
        sqls, params = conditions(eng, spec)
        return " AND ".join(sqls), params
    m = AND_RE.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise SqlError(f"bad join And {spec!r}: a where dict, or 'a.col = b.col' / 'a.col = 1'")
    right = m.group(3)
    if not right.lstrip("-").isdigit():
        return f"{qname(eng, m.group(1))} {m.group(2)} {qname(eng, right)}", []
    return f"{qname(eng, m.group(1))} {m.group(2)} %s", [int(right)]


def joins_sql(eng, r, main):
    sqls, params = [], []
    for key, kind in JOINS:
        specs = r.get(key) or []
        for spec in [specs] if isinstance(specs, dict) else specs:
            if not isinstance(spec, dict) or "jtab" not in spec or "on" not in spec:
                raise SqlError(f"bad {key} {spec!r}: {{'jtab': 'tab t', 'on': 'col', 'jon': 'id'}}")
            jfrom, jalias = from_sql(eng, spec["jtab"])
            on, jon = str(spec["on"]), str(spec.get("jon") or "id")
            left = on if "." in on else f"{main}.{on}"
            right = jon if "." in jon else f"{jalias}.{jon}"
            sql = f" {kind} JOIN {jfrom} ON {qname(eng, left)} = {qname(eng, right)}"
            if spec.get("And"):
                extra, p = join_and(eng, spec["And"])
                sql += f" AND {extra}"
                params += p
            sqls.append(sql)
    return "".join(sqls), params


def filters(eng, r, main):
    sqls, params = [], []
    if "fld" in r:
        sql, params = compare(qname(eng, r["fld"]), "=", r.get("val"), r["fld"], [])
        sqls.append(sql)
    more, p = conditions(eng, r.get("where"))
    sqls += more
    params += p
    if r.get("is_active") not in (None, ""):
        sqls.append(f"{eng.quote(main)}.{eng.quote('is_active')} = %s")
        a = r["is_active"]
        params.append(int(a) if isinstance(a, bool) else a)
    return sqls, params


def names_list(value, what):
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [check(str(v).strip(), what) for v in items]


def sortj_sql(eng, text):
    """'col', 'col::int', 'data:key', 'data:key:int/desc' -> (expression, params)."""
    parts = str(text).strip().split(":")
    if len(parts) > 3:
        raise SqlError(f"bad sortj {text!r}: col[:key[:int/desc]]")
    col, key, opts = (parts + ["", ""])[:3]
    if len(parts) > 1 and not key and not opts:
        raise SqlError(f"bad sortj {text!r}: col[:key[:int/desc]]")
    expr, params = qname(eng, col), []
    if key:
        expr = eng.json_scalar(expr, "text")
        params.append("$." + check(key, "data key", dotted=False))
    flags = [o for o in opts.lower().split("/") if o]
    if any(o not in ("int", "desc") for o in flags):
        raise SqlError(f"bad sortj options {opts!r}: int, desc or int/desc")
    if "int" in flags:
        expr = eng.cast_int(expr)
    return expr + (" DESC" if "desc" in flags else ""), params


def order_sql(eng, r):
    parts, params = [], []
    if r.get("sortj"):
        for item in str(r["sortj"]).split(","):
            expr, p = sortj_sql(eng, item)
            parts.append(expr)
            params += p
    if r.get("sort"):
        desc = " DESC" if r.get("desc") else ""
        parts += [qname(eng, n) + desc for n in names_list(r["sort"], "sort column")]
    if not parts:
        return "", []
    return " ORDER BY " + ", ".join(parts), params


def limit_sql(limit):
    try:
        numbers = [int(n) for n in str(limit).split(",")]
    except ValueError:
        raise SqlError(f"bad limit {limit!r}: n or 'offset,n'") from None
    if len(numbers) > 2 or min(numbers) < 0:
        raise SqlError(f"bad limit {limit!r}: n or 'offset,n'")
    if len(numbers) == 1:
        return " LIMIT %s", numbers
    return " LIMIT %s OFFSET %s", [numbers[1], numbers[0]]


def select(eng, r, count=False):
    """(statement, params, json key column names) for a find_in_sql/count_in_sql request."""
    if not isinstance(r, dict) or "table" not in r:
        raise SqlError("the request needs a 'table'")
    source, main = from_sql(eng, r["table"])
    what, params, json_names = ("COUNT(*)", [], []) if count else what_sql(eng, r.get("what", "*"))
    join, p = joins_sql(eng, r, main)
    params += p
    sql = f"SELECT {what} FROM {source}{join}"
    conds, p = filters(eng, r, main)
    if conds:
        sql += " WHERE " + " AND ".join(conds)
        params += p
    if r.get("grp") and not count:
        sql += " GROUP BY " + ", ".join(qname(eng, n) for n in names_list(r["grp"], "grp column"))
    if not count:
        order, p = order_sql(eng, r)
        sql += order
        params += p
        limit = r.get("limit")
        # Flyton tests the key, not its value: 'all': 0 gives the list too
        if limit in (None, "") and "all" not in r:
            limit = 1
        if limit not in (None, ""):
            lim, p = limit_sql(limit)
            sql += lim
            params += p
    return sql, params, json_names
