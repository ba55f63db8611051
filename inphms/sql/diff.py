"""``db diff``: compare the addons' tables.sql with the live database.

``db init`` only creates missing tables; a table that exists is never
touched.  When an addon's tables.sql changes later (a column added, an
index added, a type widened), this module works out the statements that
bring the existing table up to the file:

- a table missing from the database: its ``CREATE TABLE`` (as db init runs it);
- a column missing from the table: ``ALTER TABLE ... ADD COLUMN``;
- a column whose type differs, where the engine can tell (MySQL's column
  type; SQLite's declared storage type): ``MODIFY COLUMN`` on MySQL;
- an index or unique key missing (same columns, in order): ``ADD INDEX`` /
  ``ADD UNIQUE KEY`` on MySQL, ``CREATE [UNIQUE] INDEX`` on SQLite.

Nothing is ever dropped: a column or table the file no longer names is
reported and left alone, and so is a primary key that differs.  SQLite's
ALTER TABLE can only add plain columns, so a type change, or a new column
it cannot add (primary key, AUTO_INCREMENT, a non-constant default, NOT
NULL without a default), is reported as *blocked* with the steps of a table
rebuild the operator can run by hand; it is never attempted.

Defaults, NULL-ability and comments of existing columns are not compared.
"""
import copy
import re

from . import sqlite_ddl
from .cursor import cursor
from .process import get_engine
from .schema import tokenize

INT_TYPES = {"int", "integer", "bigint", "smallint", "mediumint", "tinyint"}


class Live:
    """What the database holds for one table."""

    def __init__(self):
        self.columns = {}       # name -> type as the engine reports it
        self.primary = []       # primary key columns
        self.indexes = []       # [(name, unique, [cols])], primary key excluded


class TablePlan:
    """The changes one table of one addon needs."""

    def __init__(self, addon, table):
        self.addon, self.table = addon, table
        self.statements = []    # [(sql, params)] to run, in order
        self.notes = []         # differences left alone on purpose
        self.blocked = []       # changes the engine cannot make (SQLite)
        self.rebuild = []       # the manual steps, when something is blocked

    @property
    def empty(self):
        return not (self.statements or self.notes or self.blocked)


# -- reading the live database -------------------------------------------------

def read_mysql(cr, name):
    live = Live()
    cr.execute("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (name,))
    for col, kind in cr.fetchall():
        live.columns[col] = kind
    cr.execute("SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX",
               (name,))
    found = {}
    for index, non_unique, col in cr.fetchall():
        found.setdefault(index, (not int(non_unique), []))[1].append(col)
    for index, (unique, cols) in found.items():
        if index == "PRIMARY":
            live.primary = cols
            continue
        live.indexes.append((index, unique, cols))
    return live


def read_sqlite(cr, name):
    live = Live()
    quoted = sqlite_ddl.q(name)
    cr.execute(f"PRAGMA table_info({quoted})")
    pks = []
    for _cid, col, kind, _notnull, _default, pk in cr.fetchall():
        live.columns[col] = kind
        if pk:
            pks.append((pk, col))
    live.primary = [col for _pk, col in sorted(pks)]
    cr.execute(f"PRAGMA index_list({quoted})")
    for row in cr.fetchall():
        index, unique, origin = row[1], row[2], row[3]
        if origin == "pk":
            continue
        cr.execute(f"PRAGMA index_info({sqlite_ddl.q(index)})")
        cols = [r[2] for r in sorted(cr.fetchall())]
        live.indexes.append((index, bool(unique), cols))
    return live


# -- comparing ------------------------------------------------------------------

def mysql_type(text):
    """A MySQL column type in one spelling: widths of integers and JSON's storage do not count."""
    words = text.lower().split()
    m = re.match(r"([a-z]+)(\(.*\))?$", words[0])
    base, size = (m.group(1), m.group(2) or "") if m else (words[0], "")
    base = {"integer": "int", "numeric": "decimal", "json": "longtext"}.get(base, base)
    if base in INT_TYPES:
        size = ""           # a display width, not a range
    if base == "char" and not size:
        size = "(1)"
    if base == "decimal" and not size:
        size = "(10,0)"
    return base + size.replace(" ", "") + (" unsigned" if "unsigned" in words[1:] else "")


def declared_mysql_type(col):
    return mysql_type(col.type + (" unsigned" if col.unsigned else ""))


def column_texts(table):
    """{column name: its definition as written in tables.sql}."""
    items, item, depth = [], [], 0
    for tok in tokenize(table.text, table.path):
        if tok.kind == "punct" and tok.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif tok.kind == "punct" and tok.text == ")":
            depth -= 1
            if depth == 0:
                items.append(item)
                break
        elif depth == 1 and tok.kind == "punct" and tok.text == ",":
            items.append(item)
            item = []
            continue
        if depth >= 1:
            item.append(tok)
    texts = {}
    for item in items:
        head = item[0]
        name = head.text[1:-1].replace("``", "`") if head.kind == "qname" else head.text
        texts[name] = table.text[head.start:item[-1].end]
    return texts


def declared_primary(table):
    return table.primary or [c.name for c in table.columns if c.primary]


def declared_indexes(table):
    """[(name, unique, cols)] of tables.sql: unique keys, column UNIQUE, plain keys."""
    found = [(name, True, cols) for name, cols in table.uniques]
    found += [("", True, [c.name]) for c in table.columns if c.unique]
    found += [(name, False, cols) for name, cols in table.keys]
    return found


def has_index(live, unique, cols):
    """A unique key needs a unique index on the same columns; a plain key takes any."""
    return any(c == cols and (u or not unique) for _n, u, c in live.indexes)


def compare(addon, table, live, engine_name):
    plan = TablePlan(addon, table)
    if live is None:
        plan.statements = list(get_engine().create_statements(table))
        return plan
    planner = MysqlPlanner(plan, live) if engine_name == "mysql" else SqlitePlanner(plan, live)
    previous = None
    for col in table.columns:
        if col.name not in live.columns:
            planner.add_column(col, previous)
        else:
            planner.check_type(col, live.columns[col.name])
        previous = col.name
    names = {c.name for c in table.columns}
    for col in live.columns:
        if col not in names:
            plan.notes.append(f"column {col} is in the database, not in tables.sql: left alone "
                              "(db diff never drops a column)")
    if live.primary != declared_primary(table):
        plan.notes.append(f"the primary key is ({', '.join(live.primary)}), tables.sql says "
                          f"({', '.join(declared_primary(table))}): not changed, do it by hand")
    for name, unique, cols in declared_indexes(table):
        if not has_index(live, unique, cols):
            planner.add_index(name, unique, cols)
    if plan.blocked:
        plan.rebuild = sqlite_rebuild(table, live)
    return plan


def mysql_column(col):
    """A column definition built from the parsed ``Column``: for a column the file's text lacks."""
    parts = [f"`{col.name}`", col.type + (" unsigned" if col.unsigned else "")]
    parts.append("NOT NULL" if col.not_null else "NULL")
    if col.default == ("now",):
        parts.append("DEFAULT CURRENT_TIMESTAMP")
    elif col.default == ("null",):
        parts.append("DEFAULT NULL")
    elif col.default is not None:
        parts.append("DEFAULT " + mysql_literal(col.default[1]))
    if col.on_update:
        parts.append("ON UPDATE CURRENT_TIMESTAMP")
    if col.comment:
        parts.append("COMMENT " + mysql_literal(col.comment))
    return " ".join(parts)


def mysql_literal(value):
    if isinstance(value, str):
        # MySQL reads backslash escapes inside quotes
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return repr(value)


class MysqlPlanner:
    def __init__(self, plan, live):
        self.plan, self.live = plan, live
        self.table = plan.table
        self.texts = column_texts(plan.table)

    def q(self, name):
        return f"`{name}`"

    def definition(self, col):
        """The column as the author wrote it (a column the parser adds has no text of its own)."""
        return self.texts.get(col.name) or mysql_column(col)

    def add_column(self, col, previous):
        where = f"AFTER {self.q(previous)}" if previous else "FIRST"
        self.plan.statements.append(
            (f"ALTER TABLE {self.q(self.table.name)} ADD COLUMN {self.definition(col)} {where}", None))

    def check_type(self, col, live_type):
        if declared_mysql_type(col) == mysql_type(live_type):
            return
        self.plan.statements.append(
            (f"ALTER TABLE {self.q(self.table.name)} MODIFY COLUMN {self.definition(col)}", None))

    def add_index(self, name, unique, cols):
        if name and any(n == name for n, _u, _c in self.live.indexes):
            self.plan.notes.append(f"index {name} exists on other columns than ({', '.join(cols)}): "
                                   "not changed, drop or rename it by hand")
            return
        what = "UNIQUE KEY" if unique else "INDEX"
        label = f" {self.q(name)}" if name else ""
        self.plan.statements.append((f"ALTER TABLE {self.q(self.table.name)} ADD {what}{label} "
                                     f"({', '.join(map(self.q, cols))})", None))


class SqlitePlanner:
    def __init__(self, plan, live):
        self.plan, self.live = plan, live
        self.table = plan.table

    def add_column(self, col, previous):
        why = self.cannot_add(col)
        if why:
            self.plan.blocked.append(f"column {col.name}: SQLite cannot add {why}")
            return
        plain = copy.copy(col)
        plain.unique = False        # ADD COLUMN takes no UNIQUE: a unique index instead
        self.plan.statements.append(
            (f"ALTER TABLE {sqlite_ddl.q(self.table.name)} ADD COLUMN {sqlite_ddl.column_sql(plain)}", None))
        if col.on_update:
            self.plan.statements.append((sqlite_ddl.trigger(self.table, col), None))

    def cannot_add(self, col):
        """Why SQLite's ADD COLUMN refuses ``col``, or ''."""
        if col.primary or col.auto_increment or col.name in self.table.primary:
            return "a PRIMARY KEY or AUTO_INCREMENT column to an existing table"
        if col.default == ("now",):
            return "a column with DEFAULT CURRENT_TIMESTAMP (only constant defaults)"
        if col.not_null and col.default in (None, ("null",)):
            return "a NOT NULL column without a default"
        return ""

    def check_type(self, col, live_type):
        wanted = "INTEGER" if col.auto_increment else sqlite_ddl.TYPES[col.kind]
        if live_type.upper() == wanted:
            return
        self.plan.blocked.append(f"column {col.name}: the type changes from {live_type} to {wanted} "
                                 f"({col.type} in tables.sql); SQLite's ALTER TABLE cannot change a column")

    def add_index(self, name, unique, cols):
        index = f"{self.table.name}__{name or '_'.join(cols)}"
        if any(n == index for n, _u, _c in self.live.indexes):
            self.plan.notes.append(f"index {index} exists on other columns than ({', '.join(cols)}): "
                                   "not changed, drop it by hand (DROP INDEX)")
            return
        what = "UNIQUE INDEX" if unique else "INDEX"
        self.plan.statements.append((f"CREATE {what} {sqlite_ddl.q(index)} ON {sqlite_ddl.q(self.table.name)} "
                                     f"({', '.join(map(sqlite_ddl.q, cols))})", None))


def sqlite_rebuild(table, live):
    """The statements of SQLite's own recipe for a change ALTER TABLE cannot make.

    A new table as tables.sql says, the rows copied over (the columns both
    have), the old table dropped and the new one renamed, then its indexes
    and triggers: all in one transaction.  Printed for the operator, never run.
    """
    new = table.name + "__new"
    stmts = sqlite_ddl.create_statements(table)
    head = f"CREATE TABLE {sqlite_ddl.q(table.name)} ("
    create = stmts[0][0].replace(head, f"CREATE TABLE {sqlite_ddl.q(new)} (", 1)
    both = ", ".join(sqlite_ddl.q(c.name) for c in table.columns if c.name in live.columns)
    steps = ["BEGIN", create,
             f"INSERT INTO {sqlite_ddl.q(new)} ({both}) SELECT {both} FROM {sqlite_ddl.q(table.name)}",
             f"DROP TABLE {sqlite_ddl.q(table.name)}",
             f"ALTER TABLE {sqlite_ddl.q(new)} RENAME TO {sqlite_ddl.q(table.name)}"]
    steps += [sql for sql, params in stmts[1:] if params is None]
    return steps + ["COMMIT"]


# -- the whole database ------------------------------------------------------------

def plan_database(tables):
    """[TablePlan] of every (addon, Table) whose table differs from the file."""
    engine = get_engine()
    reader = read_mysql if engine.name == "mysql" else read_sqlite
    plans = []
    with cursor() as cr:
        existing = engine.list_tables(cr)
        for addon, table in tables:
            live = reader(cr, table.name) if table.name in existing else None
            plan = compare(addon, table, live, engine.name)
            if not plan.empty:
                plans.append(plan)
    return plans


def render(sql, params):
    """A statement as it can be pasted into the SQL shell: parameters written out."""
    if params is None:
        return sql
    values = iter(params)
    return re.sub(r"%s", lambda _m: sqlite_ddl.literal(next(values)), sql)


def apply_plan(plan, said):
    """Run one table's statements, SQLite in one transaction; ``said(text)`` before each."""
    engine = get_engine()
    with cursor(tx=engine.name == "sqlite") as cr:
        for sql, params in plan.statements:
            said(render(sql, params) + ";")
            cr.execute(sql, params)
