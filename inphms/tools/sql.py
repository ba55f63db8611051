"""Flyton's sql tools: every read and write of addon code goes through here.

    from tools.sql import *

    w = find_in_sql({'table': 'users', 'fld': 'username', 'val': u, 'what': 'id,sis'})
    if not w:
        return "no user"
    t = insert_to_sql({'table': 'prod', 'set': {'name': 'tea'}, 'data': {'color': 'red'}})

Every public function of Flyton's sql.py is here, with Flyton's arguments
and answers.  Values always travel as query parameters, and a text where or
set is parsed into them (inphms.sql.textsql), never pasted; table, column,
alias and JSON key names are checked (letters, digits, _; t.col for columns)
and a bad one is refused: the read functions raise SqlError, the write
functions (insert_to_sql, add_to_data) answer {"status": 0, "err": ...}
(and "unknown": 1 when the connection was lost after the write was sent: it
may have been applied, see docs/sql.md on writes safe to retry).  A
statement the database refuses answers {"status": err} from find_in_sql,
count_in_sql and kic_sql, as Flyton's do (status 0 from the writes); no
answer at all (no connection, timeouts) raises SqlError everywhere.
find_rows and run_sql raise on every error, for inphms's own code.
The full reference with an example per function is docs/sql.md.
"""
import datetime
import html
import json
import logging
import re

from inphms.config import config as process_config
from inphms.sql import OutcomeUnknown, SqlError, Unavailable, cursor, get_engine
from inphms.sql import build, retry, textsql
from inphms.sql.row import row_class

__all__ = ["find_in_sql", "insert_to_sql", "sql_order", "sql_next", "count_in_sql",
           "get_data", "add_to_data", "save_to_data", "get_record", "gen_data", "kic_sql",
           "run_sql", "find_rows", "kic_sql_connect", "kic_config", "get_next_counter",
           "kic_sql_delete", "import_state", "array2obj", "dic_of_table", "is_gen_table",
           "kic_refine", "validate_email", "validate_datemdy", "kic_geresh", "sql_var",
           "sql_set", "sql_where", "sql_join", "sqd", "sql_what", "sql_sortj", "sql_v",
           "SqlError"]

log = logging.getLogger(__name__)
batch = 1000
sql_v = 2.17      # the Flyton sql.py version whose functions and shapes these are
plain_key = re.compile(r"[A-Za-z0-9_-]+")


def find_in_sql(r):
    """The first matching row, or with 'all' (any value) the list of rows; False when none.

    A database error answers {"status": err}, as Flyton's does; see db_err().
    """
    try:
        return find_rows(r)
    except SqlError as e:
        return db_err(e)


def find_rows(r):
    """find_in_sql() that raises SqlError on a database error (inphms's own code uses it)."""
    with cursor() as cr:
        q, p, jnames = build.select(cr.engine, r)
        show(r, q, p)
        cr.execute(q, p)
        w = cr.fetchall()
    if not w:
        return False
    if jnames:
        w = decode_keys(cr.engine, w, jnames)
    if "all" in r:
        return w
    return w[0]


def db_err(e):
    """{"status": e} when the database answered the statement with an error, as Flyton's tools do.

    Everything else is raised again: a name or text refused by inphms (a
    bug in the calling code, not a database answer), and a database that
    gives no answer (no connection, lost connection, busy or timed out), so
    the request answers 503 instead of a page that reads a dict as a row.
    """
    if isinstance(e, Unavailable):
        raise e
    c = e.__cause__
    if c is None or isinstance(e, textsql.TextSqlError) or isinstance(c, (OSError, TimeoutError)):
        raise e
    code = c.args[0] if c.args and isinstance(c.args[0], int) else 0
    if code in no_answer or 2000 <= code < 3000 or get_engine().is_lost(c):
        raise e
    if "database is locked" in str(c) or str(e).startswith("cannot "):
        raise e     # SQLite busy past its timeout; no connection could be opened
    return {"status": e}


# MySQL/MariaDB errors that mean "no answer in time", not "your statement is wrong":
# too many connections, login refused, no such database, shutdown, lock wait timeout, interrupted, killed,
# max_statement_time (MariaDB), max_execution_time (MySQL); 2xxx are client errors
no_answer = {1040, 1044, 1045, 1049, 1053, 1205, 1317, 1927, 1969, 3024}


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
    """A row holding how many rows match: count_in_sql(r)[0] (or ["count"]), as Flyton's.

    Takes table, fld/val, where, is_active and joins, as find_in_sql does.
    A database error answers {"status": err}.
    """
    try:
        return count_row(r)
    except SqlError as e:
        return db_err(e)


def count_row(r):
    with cursor() as cr:
        q, p, j = build.select(cr.engine, r, count=True)
        show(r, q, p)
        cr.execute(q, p)
        w = cr.fetchone()
    return row_class(("count",))((int(w[0]),))


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
    if "id" in r and "data" in r:
        return {"status": 0, "err": "data is for new rows; use add_to_data() on an existing row"}
    if isinstance(s, str):
        return write_text(r, s)
    if not isinstance(s, dict):
        return {"status": 0, "err": "set must be a dict {'col': value} or a text \"col='v',n=1\""}
    s = {k: to_value(v) for k, v in s.items()}
    if "data" in r:
        s["data"] = to_value(r["data"])
    s = both_modify(r["table"], s)
    if "id" in r:
        return update_row(r, s)
    return insert_row(r, s)


# the modify column: inphms's name and Flyton's (its init.sql), each the other's twin
twins = {"updated_at": "update_at", "update_at": "updated_at"}
cols_cache = {}


def both_modify(table, s):
    """s with the twin of an updated_at / update_at it sets, when the table has both columns.

    Each column follows every change by itself (ON UPDATE); a write that
    sets one to a chosen time sets the other to the same time, so both
    names always read the same.
    """
    for k in list(s):
        t = twins.get(k)
        if t and t not in s and t in table_cols(table):
            s[t] = s[k]
    return s


def both_items(table, items):
    """both_modify() of text-set items [(column, sql, params)]."""
    have = {k for k, _x, _p in items}
    for k, x, p in list(items):
        t = twins.get(k)
        if t and t not in have and t in table_cols(table):
            items.append((t, x, list(p)))
    return items


def table_cols(table):
    """The column names of table (read once per process); an empty set when it cannot be read."""
    w = cols_cache.get(table)
    if w is not None:
        return w
    try:
        with cursor() as cr:
            cr.execute(f"SELECT * FROM {build.qname(cr.engine, build.table_spec(table)[0], 'table')} WHERE 1 = 0")
            w = set(cr.columns)
    except SqlError:
        return set()
    cols_cache[table] = w
    return w


def write_text(r, text):
    """A text set (Flyton's "id='x',user_id=5"): parsed, each value a parameter (textsql)."""
    eng = get_engine()
    items = textsql.set_items(eng, text, insert="id" not in r)
    if "data" in r:
        items.append(("data", "%s", [to_value(r["data"])]))
    items = both_items(r["table"], items)
    if "id" in r:
        return update_row(r, {}, items)
    return insert_row(r, {}, items)


def to_value(v):
    """dict/list -> JSON text, True/False -> 1/0; anything else as it is."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bool):
        return int(v)
    return v


def insert_row(r, s, items=None):
    """INSERT of the dict s, or of text-set items [(col, sql, params)]."""
    items = items or [(k, "%s", [v]) for k, v in s.items()]
    p = [v for _k, _s, ps in items for v in ps]
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, r["table"], "table")
        cols = [build.qname(e, k) for k, _s, _p in items]
        q = e.insert_defaults(t)
        if cols:
            q = f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join(x for _k, x, _p in items)})"
        show(r, q, p)
        cr.execute(q, p)
        id = cr.lastrowid
    for k, x, ps in items:
        if k == "id" and x == "%s":
            id = ps[0]
    return written(id)


def written(id):
    """Flyton's answer of a write: status True, id, and its empty results and version."""
    return {"results": [], "status": True, "ver": sql_v, "id": id}


def update_row(r, s, items=None):
    items = items or [(k, "%s", [v]) for k, v in s.items()]
    if not items:
        return {"status": 0, "err": "set is empty: nothing to update"}
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, r["table"], "table")
        sets = ", ".join(f"{build.qname(e, k)} = {x}" for k, x, _p in items)
        q = f"UPDATE {t} SET {sets} WHERE {e.quote('id')} = %s"
        p = [v for _k, _s, ps in items for v in ps] + [r["id"]]
        show(r, q, p)
        cr.execute(q, p)
        n = cr.rowcount
    if not n:
        return no_row(r["table"], r["id"])
    return written(r["id"])


def no_row(table, id):
    return {"status": 0, "err": f"no row with id {id!r} in {table}", "results": [], "ver": sql_v}


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
    where = r.get("where") or {}
    if id != "" and isinstance(where, dict):
        where = {**where, "id/after": (">", id)}
    elif id != "":
        where = [where, {"id": (">", id)}]      # Flyton's text where, ANDed
    w = find_rows({"table": r["table"], "where": where, "is_active": a, "sort": "id",
                     "limit": n, "all": 1, "debug": r.get("debug")})
    if not w:
        return []
    return [x.todict() for x in w]


def get_data(table, id, fld="id"):
    """The JSON 'data' of a row as a dict; {} when there is no row or no data."""
    w = find_rows({"table": table, "fld": fld, "val": id, "what": "data"})
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


def add_to_data(table, id, fld1, val1=""):
    """Merge into the row's JSON data, atomically; val1 "!del" removes the key.

    fld1 is one key (with val1) or a dict of keys and values (Flyton's names).
    Answers as insert_to_sql: status True and id, or {"status":0,"err":..}.
    """
    if isinstance(fld1, dict):
        kv = dict(fld1)
    else:
        kv = {fld1: val1}
    try:
        return merge_data(table, id, kv)
    except SqlError as e:
        return write_failed(e)


save_to_data = add_to_data


def merge_data(table, id, kv):
    kv = {str(k): v for k, v in kv.items()}
    js = in_place(kv)
    if js is None:
        # a read and a write in one transaction: run again after a write conflict
        return retry.attempts(lambda: merge_locked(table, id, kv), f"add_to_data({table})")
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
    return written(id)


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
    return written(id)


def get_record(table, id, fld="id"):
    """The row as a dict, its data keys merged in (columns win); {} when none."""
    w = find_rows({"table": table, "fld": fld, "val": id, "what": "*"})
    if not w:
        return {}
    rec = w.todict()
    obj = to_dict(rec.pop("data", None))
    return {**obj, **rec}


def gen_data():
    """{key1: {"id":.., "val":.., "data":..}} of the active rows of gen ("data" only when set)."""
    w = find_rows({"table": "gen", "is_active": 1, "what": "id,key1,val1,data", "sort": "id", "all": 1})
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


def kic_sql(q, elr=0, params=None):
    """Raw SQL, for admin scripts: Flyton's kic_sql(q) / kic_sql(q, 1), plus %s parameters.

    kic_sql(q)        the rows (a list; [] for a statement without rows)
    kic_sql(q, 1)     {"status": 1, "row_count": n, "results": rows, "id": last insert id}
    kic_sql(q, params) / kic_sql(q, elr, params)   the same with %s parameters
    A database error answers {"status": err}, as Flyton's does (see db_err).
    """
    if isinstance(elr, (tuple, list, dict)):
        elr, params = 0, elr
    try:
        w = run_sql(q, params)
    except SqlError as e:
        return db_err(e)
    rows = w if isinstance(w, list) else []
    if elr:
        n = len(rows) if isinstance(w, list) else w["row_count"]
        return {"status": 1, "row_count": n, "results": rows, "id": 0 if isinstance(w, list) else w["id"]}
    return rows


def run_sql(q, params=None):
    """Raw SQL with %s parameters that raises SqlError on a database error (inphms's own code).

    Rows (a list) for a statement that returns rows, else
    {"status": 1, "row_count": .., "id": last insert id}.
    """
    with cursor() as cr:
        cr.execute(q, params)
        if cr.description is not None:
            return cr.fetchall()
        return {"status": 1, "row_count": cr.rowcount, "id": cr.lastrowid}


def kic_sql_connect():
    """The pooled database connection's cursor scope: `with kic_sql_connect() as cr:`.

    Flyton's opens a mysql.connector connection from ../config.py; inphms's
    connections come from its pool (db_* options), and the scope gives the
    connection back when the block ends.
    """
    return cursor()


def kic_config():
    """The project's configuration: inphms's options (db_*, ses_ttl, ...) as attributes.

    Flyton's reads ../config.py (hostname, username, password, database);
    the same names answer here from db_host, db_user, db_password, db_name.
    """
    return FlyConfig()


class FlyConfig:
    """Read-only view of inphms.config with Flyton's config.py names."""
    names = {"hostname": "db_host", "username": "db_user", "password": "db_password",
             "database": "db_name"}

    def __getattr__(self, k):
        k = self.names.get(k, k)
        try:
            return process_config[k]
        except KeyError:
            raise AttributeError(k) from None


def get_next_counter(field, type1, data={}):
    """Add 1 to gen row '<type1>_<field>' atomically and return the new value (-1 when none).

    Flyton reads the value, adds 1 and writes it back: two requests could
    get the same number.  Here the read and the write are one transaction
    holding the row's lock.  data's keys are merged into the row's data.
    """
    key = f"{type1}_{field}"
    with cursor(tx=True) as cr:
        e = cr.engine
        cr.execute(f"SELECT id, val1 FROM gen WHERE key1 = %s AND is_active = 1 "
                   f"ORDER BY id DESC LIMIT 1{e.for_update}", (key,))
        w = cr.fetchone()
        if w is None:
            log.warning("get_next_counter: no active gen row %r", key)
            return -1
        c = int(w[1] or 0) + 1
        cr.execute("UPDATE gen SET val1 = %s WHERE id = %s", (str(c), w[0]))
        if data:
            t = add_to_data("gen", w[0], dict(data))
            if not t["status"]:
                raise SqlError(t["err"])
    return c


def kic_sql_delete(r):
    """Delete row r["id"] of r["table"]: {"status": 1}, or {"status": 0, "err": "not deleted"}.

    inphms rows are usually ended with is_active=0; this is Flyton's real delete.
    """
    try:
        with cursor() as cr:
            e = cr.engine
            t = build.qname(e, r["table"], "table")
            cr.execute(f"DELETE FROM {t} WHERE {e.quote('id')} = %s", (r["id"],))
            n = cr.rowcount
    except SqlError as e:
        return {"status": 0, "err": str(e)}
    if n > 0:
        return {"status": 1}
    return {"status": 0, "err": "not deleted"}


def import_state(type1):
    """The last import batch of type1: {"count", "lines", "updated_at"} (Flyton's import table).

    count is the batch number (import.count), lines its active rows, and
    updated_at the modify time of gen row '<type1>_import'.
    """
    none = {"count": 0, "lines": 0, "updated_at": ""}
    w = run_sql("SELECT COUNT(id), count FROM import WHERE type = %s AND is_active = 1 "
                "GROUP BY count ORDER BY count DESC LIMIT 1", (type1,))
    if not w:
        return none
    z = find_rows({"table": "gen", "fld": "key1", "val": type1 + "_import", "what": "updated_at"})
    if not z:
        return none
    return {"count": w[0][1], "lines": w[0][0], "updated_at": z[0]}


def array2obj(ary, dict):
    """{column: value} from a row and a table's `desc` rows (column name first)."""
    ans = {}
    for i in range(len(dict)):
        ans[dict[i][0]] = ary[i]
    return ans


cache1 = {}


def dic_of_table(tab):
    """The columns of tab as MySQL's `desc` gives them: rows (Field, Type, Null, Key, Default, Extra).

    Read once per process and table (both engines: SQLite's PRAGMA
    table_info is given the same shape).
    """
    d = cache1.setdefault("dict", {})
    if tab in d:
        return d[tab]
    with cursor() as cr:
        e = cr.engine
        t = build.qname(e, tab, "table")
        if e.name == "mysql":
            cr.execute(f"DESC {t}")
            w = [tuple(x) for x in cr.fetchall()]
        else:
            cr.execute(f"PRAGMA table_info({t})")
            w = [(x[1], x[2], "NO" if x[3] else "YES", "PRI" if x[5] else "", x[4], "")
                 for x in cr.fetchall()]
    if not w:
        raise SqlError(f"table {tab} not found")
    d[tab] = w
    return w


def is_gen_table(tab):
    """1 when gen row '<tab>_tab' has data {"tab_type": "gen"} (a small general table), else 0."""
    g = gen_data().get(f"{tab}_tab")
    if not g:
        return 0
    d = get_data("gen", g["id"])
    if d.get("tab_type") == "gen":
        return 1
    return 0


def kic_refine(x, v, cond):
    """Clean and check the value v of field x by cond; the clean value, or {"status": 0, "err"}.

    cond keys: cln (texts to remove), toLower, strip, fill_zeros (width),
    min / max / exactly (length), list (allowed values), regex, and
    is: a list of email, sum, yesno (the Hebrew yes), date/mdy, bool01, phone.
    """
    for c in cond.get("cln", []):
        v = v.replace(c, "")
    if "toLower" in cond:
        v = v.lower()
    if "strip" in cond:
        v = v.strip()
    if "fill_zeros" in cond:
        v = str(v).zfill(cond["fill_zeros"])
    if v == "":
        return v
    n = len(v)
    if "min" in cond and n < cond["min"]:
        return {"status": 0, "err": f"length of {x} too small /{v}/"}
    if "max" in cond and n > cond["max"]:
        return {"status": 0, "err": f"length of {x} too long"}
    if "exactly" in cond and n != cond["exactly"]:
        return {"status": 0, "err": f"length of {x} must be {cond['exactly']} == {cond} "}
    if "list" in cond and v not in cond["list"]:
        return {"status": 0, "err": f"{x} = ({v}) not in a list {cond['list']}"}
    if "regex" in cond and not re.search(cond["regex"], v):
        return {"status": 0, "err": f"content of {x} must comply to regex"}
    for k in cond.get("is", []):
        v = refine_is(k, v)
        if isinstance(v, dict):
            return v
    return v


def refine_is(k, v):
    """One "is" check of kic_refine: the (converted) value or the error dict."""
    if k == "email" and not validate_email(v):
        return {"status": 0, "err": "content not a valid email address"}
    if k == "sum" and v != 0 and not v:
        return {"status": 0, "err": "content not a valid sum"}
    if k == "yesno":
        if v.strip() != "כן":
            return {"status": 0, "err": f"must be yes or no /{v}/"}
        return 1
    if k == "date/mdy":
        return validate_datemdy(v)
    if k == "bool01":
        if v not in ("0", "1", 0, 1):
            return {"status": 0, "err": f"must be 0 or 1 /{v}/"}
        return int(v)
    if k == "phone" and not re.fullmatch(r"\d{10}", v.replace("-", "")):
        return {"status": 0, "err": f"phone fromat wrong /{v}/", "errcode": 101}
    return v


def validate_email(email):
    """True when email looks like name@domain.tld."""
    return re.match(r"^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$", email) is not None


def validate_datemdy(v):
    """'11/30/2024' -> '2024-11-30'; {"status": 0, "err"} for a day, month or year out of range.

    A text that is not three numbers between / also answers status 0
    (Flyton's raises).
    """
    d = v.split("/")
    if len(d) != 3 or not all(x.strip().isdigit() for x in d):
        return {"status": 0, "err": "date wrong format (0 / m/d/y)"}
    mon, day, yir = int(d[0]), int(d[1]), int(d[2])
    y0 = datetime.date.today().year
    e = 0
    if day > 31 or day < 1:
        e = 1
    if mon > 12 or mon < 1:
        e = 2
    if yir > y0 + 10 or yir < y0 - 180:
        e = 3
    if e:
        return {"status": 0, "err": f"date wrong format ({e} / {y0})"}
    return f"{yir}-{mon:02d}-{day:02d}"


def kic_geresh(v):
    """v as one SQL literal: 'text' (a quote doubled), a number as it is, NULL.

    Flyton's puts v between ' or " unescaped.  This one always gives a
    single literal, as the text where/set forms read it (a backslash is an
    ordinary character there), so they take it back as the same value.
    For raw kic_sql, pass values as parameters instead.
    """
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v).replace("'", "''")
    return f"'{s}'"


reserved = ("order", "key", "group", "limit", "from", "to")


def sql_var(k, v, c="="):
    """Flyton's `k="v"` text for a text set/where: name checked, v one literal (kic_geresh).

    A dict v is stored as JSON; c is the operator ("=", ">", " like ",
    " in " with a list v).  Reserved words (order, key...) get backticks.
    The text is meant for the text forms of find_in_sql / insert_to_sql,
    which parse it again into parameters.
    """
    name = build.check(k.split("->")[0], "column") if "->" in k else build.check(k)
    op = c.strip().lower()
    if op not in ("=", "!=", "<>", "<", ">", "<=", ">=", "like", "in"):
        raise SqlError(f"sql_var: bad operator {c!r}")
    key = k
    if "->" in k:
        key = json_key_sql(k, name)
    if k in reserved:
        key = f"`{k}`"
    if op == "in":
        if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
            raise SqlError("sql_var: ' in ' needs a list of values")
        return textsql.Built(f"{key} IN ({','.join(kic_geresh(x) for x in v)})")
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    if op == "like":
        return textsql.Built(f"{key} LIKE {kic_geresh(v)}")
    return textsql.Built(f"{key}{c.strip()}{kic_geresh(v)}")


def json_key_sql(k, col):
    """col->>'$.key' of sql_where's JSON form, its key checked."""
    m = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*->>'\$\.([A-Za-z_][A-Za-z0-9_]*)'", k)
    if m is None:
        raise SqlError(f"bad JSON key {k!r}")
    return k


def sql_set(obj):
    """A set dict as Flyton's text "name='eli',phone='054'"; a text comes back as it is."""
    if isinstance(obj, str):
        return obj
    return textsql.Built(",".join(sql_var(k, v) for k, v in obj.items()))


def sql_where(obj):
    """(text, number of conditions) of a where dict, Flyton's way; a text or int as it is, 1.

    {"id": 44, "date": (">", "2024-12-28"), "name": ("like", "tea"),
     "price": (">", 0, "data"), "id/2": ("in", [1, 2])}
    -> "id=44 AND date>'2024-12-28' AND name LIKE '%tea%' AND data->>'$.price'>0 AND id IN (1,2)", 5
    """
    if isinstance(obj, (str, int)):
        return str(obj), 1
    parts = []
    for k, vv in obj.items():
        key, v, con = k.split("/")[0], vv, "="
        if isinstance(vv, tuple):
            con, v = vv[0], vv[1]
            if con == "like":
                # contains v: a backslash in v is literal (it is LIKE's escape on both engines)
                v = "%" + str(v).replace("\\", "\\\\") + "%"
            if len(vv) > 2:
                build.check(key, "data key", dotted=False)
                key = f"{build.check(vv[2])}->>'$.{key}'"
            con = f" {con} "
        parts.append(sql_var(key, v, con))
    return textsql.Built(" AND ".join(parts)), len(parts)


def sql_join(tableas, r):
    """Flyton's JOIN text of r's join / ljoin / rjoin lists, every name checked.

    'And' may be 'a.col = b.col' or 'a.col = 1' (the forms find_in_sql takes).
    """
    j = ""
    for key, side in (("join", "INNER"), ("ljoin", "LEFT"), ("rjoin", "RIGHT")):
        for x in r.get(key, []):
            jtab, jas = build.table_spec(x["jtab"])
            onj = build.check(x.get("jon", "id"))
            on1 = build.check(x["on"])
            build.check(tableas, "alias", dotted=False)
            t = jtab if jas == jtab else f"{jtab} {jas}"
            j += f"{side} JOIN {t} ON {tableas}.{on1}={jas}.{onj} "
            if "And" in x:
                m = build.AND_RE.match(str(x["And"]))
                if m is None:
                    raise SqlError(f"bad join And {x['And']!r}: 'a.col = b.col' or 'a.col = 1'")
                j += f" AND {m.group(1)}{m.group(2)}{m.group(3)}"
    return j


def sqd(key):
    """json_extract(data,'$.key'): the SQL text of a data key (key checked); both engines read it."""
    build.check(key, "data key", dotted=False)
    return f"json_extract(data,'$.{key}')"


def json_unquoted(col, key):
    """col's key as text, in the engine's SQL (MariaDB has no ->>; SQLite no JSON_UNQUOTE)."""
    if get_engine().name == "mysql":
        return f"JSON_UNQUOTE(JSON_EXTRACT({col},'$.{key}'))"
    return f"json_extract({col},'$.{key}')"


def sql_what(s):
    """Flyton's select list text: "id,name,data:sort" -> id,name,<data's key sort as text> (names checked).

    Flyton writes data->>"$.sort"; MariaDB has no ->>, so the key is read
    with JSON_UNQUOTE(JSON_EXTRACT(..)) on MySQL/MariaDB, json_extract on SQLite.
    """
    out = []
    for one in str(s).split(","):
        one = one.strip()
        if ":" in one:
            col, key = one.split(":", 1)
            build.check(col)
            build.check(key, "data key", dotted=False)
            out.append(json_unquoted(col, key))
            continue
        build.what_sql(MysqlNames, one)
        out.append(one)
    return ",".join(out)


def sql_sortj(s):
    """Flyton's ORDER BY text: "data:sort:int/desc" -> CAST(<data's key sort> AS SIGNED) DESC (names checked)."""
    if ":" not in s:
        build.names_list(s.replace(" desc", "").replace(" DESC", ""), "sort column")
        return s
    a = s.split(":")
    if len(a) > 3:
        raise SqlError(f"bad sortj {s!r}: col[:key[:int/desc]]")
    s1, s2, s3 = (a + ["", ""])[:3]
    build.check(s1)
    out = s1
    if s2:
        build.check(s2, "data key", dotted=False)
        out = json_unquoted(s1, s2)
    if "int" in s3:
        out = get_engine().cast_int(out)
    if "desc" in s3:
        out = f"{out} DESC"
    return out


class MysqlNames:
    """Quoting of names as MySQL writes them, for checks that build no statement."""
    name = "mysql"

    @staticmethod
    def quote(n):
        return f"`{n}`"

    @staticmethod
    def json_text(col):
        return col
