"""db_arc: the archive engine.  Old rows move from a table to <table>_arc.

    from tools.db_arc import *

    tabs, err = arc_list(data["addons"])          # {"ses": "inactive", "logs": "old", ...}
    n = arc_table("logs", "old", old, data)       # rows moved, batch by batch

A rule says which rows are done with:
    inactive   is_active = 0 and updated_at older than the cut (ses: ended sessions)
    old        updated_at older than the cut, active or not (logs: nobody writes them again)

The base addon archives ses (inactive) and logs (old).  Any addon adds its
tables with the manifest key 'archive':

    'archive': ['prod_log'],                  # rule inactive
    'archive': {'prod_log': 'old'},           # a rule per table

and declares prod_log_arc in its tables.sql: the same columns (an id that is
not AUTO_INCREMENT) plus archived_at.  A later addon may change the rule of
an earlier one's table.

Each batch (up to `batch` rows) is ONE transaction: select the ids, copy the
rows to <table>_arc, delete them from <table>.  A crash, even SIGKILL, in the
middle of a run rolls the open batch back: no row is lost, none is copied
twice.  A row whose id is already in <table>_arc is left where it is.
"""
import re
import time

from inphms.sql import SqlError, cursor

__all__ = ["arc_list", "arc_table", "arc_batch", "arc_cols", "ArcError", "SqlError"]

batch = 1000
base = {"ses": "inactive", "logs": "old"}
rules = {"inactive": "is_active = 0 AND updated_at < %s", "old": "updated_at < %s"}
tab_re = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ArcError(Exception):
    """An archive that could not run: a bad manifest, a missing _arc table."""


def arc_list(addons):
    """({table: rule} to archive, [errors]): base's tables, then each addon's manifest."""
    tabs = dict(base)
    err = []
    for a in addons:
        m = a.manifest.get("archive")
        if not m:
            continue
        if isinstance(m, (list, tuple)):
            m = {x: "inactive" for x in m}
        if not isinstance(m, dict):
            err.append(f"addon {a.name}: 'archive' must be a list of tables or a dict {{table: rule}}")
            continue
        for tab, r in m.items():
            e = arc_check(tab, r)
            if e:
                err.append(f"addon {a.name}: {e}")
                continue
            tabs[tab] = r
    return tabs, err


def arc_check(tab, r):
    """'' when (tab, rule) can be archived, else why not."""
    if not isinstance(tab, str) or not tab_re.fullmatch(tab):
        return f"bad table name {tab!r} in 'archive'"
    if r not in rules:
        return f"table {tab}: rule {r!r} is not one of {', '.join(rules)}"
    return ""


def arc_table(tab, r, old, data):
    """Move the rows of tab that rule r says are done (updated before old) to tab_arc.

    Batch after batch until none is left, the server stops (data["stop"])
    or the job's time is up (data["until"]); returns the rows moved.  The
    rest waits for the next run.
    """
    cols = arc_cols(tab)
    n = 0
    last = None
    while 1:
        if data["stop"].is_set() or time.monotonic() > data["until"]:
            return n
        k, at = arc_batch(tab, r, old, cols, last)
        n += k
        if at == last:
            return n
        last = at


def arc_cols(tab):
    """The columns to copy from tab to tab_arc; ArcError when tab_arc could not hold them."""
    e = arc_check(tab, "old")
    if e:
        raise ArcError(e)
    with cursor() as cr:
        have = cr.engine.list_tables(cr)
        if tab not in have:
            raise ArcError(f"table {tab} does not exist")
        if tab + "_arc" not in have:
            raise ArcError(f"table {tab}_arc does not exist: declare it in the addon's tables.sql")
        cols = arc_names(cr, tab)
        acols = arc_names(cr, tab + "_arc")
    miss = [c for c in cols if c not in acols]
    if miss:
        raise ArcError(f"{tab}_arc lacks the column(s) {', '.join(miss)} of {tab}: they would be lost")
    for c in ("id", "is_active", "updated_at"):
        if c not in cols:
            raise ArcError(f"table {tab} has no {c} column")
    return cols


def arc_names(cr, tab):
    cr.execute(f"SELECT * FROM {cr.engine.quote(tab)} WHERE 1 = 0")
    return cr.columns


def arc_batch(tab, r, old, cols, last=None):
    """ONE transaction: the next `batch` rows of tab after id last move to tab_arc.

    Returns (rows moved, the last id looked at); that id is last again when
    no row is left.
    """
    with cursor(tx=True) as cr:
        e = cr.engine
        src = e.quote(tab)
        arc = e.quote(tab + "_arc")
        c = ", ".join(e.quote(x) for x in cols)
        w = rules[r]
        p = [old]
        if last is not None:
            w += " AND id > %s"
            p.append(last)
        # FOR UPDATE (MySQL): the rows copied are the rows deleted, even if
        # someone writes them meanwhile.  SQLite's transaction holds the write lock.
        cr.execute(f"SELECT id FROM {src} WHERE {w} ORDER BY id LIMIT {batch}{e.for_update}", p)
        ids = [x[0] for x in cr.fetchall()]
        if not ids:
            return 0, last
        # Ids already in tab_arc stay in tab.  Looked up by key, batch by batch:
        # a NOT EXISTS in the SELECT above makes MariaDB read all of tab_arc each time.
        m = ", ".join(["%s"] * len(ids))
        cr.execute(f"SELECT id FROM {arc} WHERE id IN ({m})", ids)
        dup = {x[0] for x in cr.fetchall()}
        go = [i for i in ids if i not in dup]
        if not go:
            return 0, ids[-1]
        m = ", ".join(["%s"] * len(go))
        cr.execute(f"INSERT INTO {arc} ({c}) SELECT {c} FROM {src} WHERE id IN ({m})", go)
        if cr.rowcount != len(go):
            raise SqlError(f"archive {tab}: {cr.rowcount} rows copied of {len(go)}")
        cr.execute(f"DELETE FROM {src} WHERE id IN ({m})", go)
        if cr.rowcount != len(go):
            raise SqlError(f"archive {tab}: {cr.rowcount} rows deleted of {len(go)}")
    return len(go), ids[-1]
