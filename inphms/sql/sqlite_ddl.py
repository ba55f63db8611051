"""Turn a parsed tables.sql ``Table`` into SQLite statements.

    int/tinyint(1)/bigint...        INTEGER    (UNSIGNED adds CHECK (col >= 0))
    varchar(n)/char(n)/text...      TEXT
    json                            TEXT CHECK (col IS NULL OR json_valid(col))
    timestamp/datetime, date        TIMESTAMP, DATE (read back as datetime/date)
    float/double, blob              REAL, BLOB
    id int AUTO_INCREMENT + PRIMARY KEY (id)   "id" INTEGER PRIMARY KEY AUTOINCREMENT
    table option AUTO_INCREMENT=N   a sqlite_sequence row, so the first id is N
    DEFAULT CURRENT_TIMESTAMP       the same (UTC, as the MySQL connections use)
    ON UPDATE CURRENT_TIMESTAMP     an AFTER UPDATE trigger that sets the column
                                    unless the UPDATE itself changed it (one
                                    trigger for all such columns of a table)
    UNIQUE [KEY name] (cols)        UNIQUE (cols)
    KEY/INDEX name (cols)           CREATE INDEX "<table>__<name>"
    COMMENT 'x'                     an SQL comment kept in the schema
    ENGINE=, CHARSET=, COLLATE=     nothing to do: SQLite has one storage, UTF-8

Each statement is a (sql, params) pair with ``%s`` placeholders.
"""
TYPES = {"int": "INTEGER", "text": "TEXT", "json": "TEXT", "timestamp": "TIMESTAMP",
         "date": "DATE", "real": "REAL", "blob": "BLOB"}


def q(name):
    return f'"{name}"'


def literal(value):
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def column_sql(col):
    if col.auto_increment:
        return f"{q(col.name)} INTEGER PRIMARY KEY AUTOINCREMENT"
    parts = [q(col.name), TYPES[col.kind]]
    if col.not_null:
        parts.append("NOT NULL")
    if col.default == ("now",):
        parts.append("DEFAULT CURRENT_TIMESTAMP")
    elif col.default == ("null",):
        parts.append("DEFAULT NULL")
    elif col.default is not None:
        parts.append("DEFAULT " + literal(col.default[1]))
    if col.primary:
        parts.append("PRIMARY KEY")
    if col.unique:
        parts.append("UNIQUE")
    if col.unsigned:
        parts.append(f"CHECK ({q(col.name)} >= 0)")
    if col.kind == "json":
        parts.append(f"CHECK ({q(col.name)} IS NULL OR json_valid({q(col.name)}))")
    return " ".join(parts)


def comment(text):
    return " -- " + " ".join(text.split()) if text else ""


def create_table(table):
    auto = table.auto_column
    items = [(column_sql(c), c.comment) for c in table.columns]
    if table.primary and not (auto and table.primary == [auto.name]):
        items.append((f"PRIMARY KEY ({', '.join(map(q, table.primary))})", ""))
    for _name, cols in table.uniques:
        items.append((f"UNIQUE ({', '.join(map(q, cols))})", ""))
    lines = []
    for index, (text, note) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        lines.append(f"  {text}{comma}{comment(note)}")
    head = f"CREATE TABLE {q(table.name)} ({comment(table.options.get('comment', ''))}"
    return head + "\n" + "\n".join(lines) + "\n)"


def trigger(table, col):
    t, c = q(table.name), q(col.name)
    return (f"CREATE TRIGGER {q(table.name + '__' + col.name + '__on_update')} "
            f"AFTER UPDATE ON {t} FOR EACH ROW WHEN NEW.{c} IS OLD.{c} "
            f"BEGIN UPDATE {t} SET {c} = CURRENT_TIMESTAMP WHERE rowid = NEW.rowid; END")


def twins_trigger(table, cols):
    """One AFTER UPDATE trigger for several ON UPDATE columns (updated_at and update_at).

    Each column that the UPDATE left as it was gets CURRENT_TIMESTAMP, in
    one statement: one trigger per column would fire again on the other
    trigger's own UPDATE and overwrite a time the UPDATE had set.
    """
    t = q(table.name)
    when = " OR ".join(f"NEW.{q(c.name)} IS OLD.{q(c.name)}" for c in cols)
    sets = ", ".join(f"{q(c.name)} = CASE WHEN NEW.{q(c.name)} IS OLD.{q(c.name)} THEN CURRENT_TIMESTAMP "
                     f"ELSE NEW.{q(c.name)} END" for c in cols)
    return (f"CREATE TRIGGER {q(table.name + '__on_update')} AFTER UPDATE ON {t} FOR EACH ROW "
            f"WHEN {when} BEGIN UPDATE {t} SET {sets} WHERE rowid = NEW.rowid; END")


def create_statements(table):
    stmts = [(create_table(table), None)]
    start = table.options.get("auto_increment")
    if table.auto_column is not None and start and start > 1:
        stmts.append(("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", (table.name, start - 1)))
    auto = [col for col in table.columns if col.on_update]
    if len(auto) > 1:
        stmts.append((twins_trigger(table, auto), None))
        auto = []
    for col in auto:
        stmts.append((trigger(table, col), None))
    for name, cols in table.keys:
        index = f"{table.name}__{name or '_'.join(cols)}"
        stmts.append((f"CREATE INDEX {q(index)} ON {q(table.name)} ({', '.join(map(q, cols))})", None))
    return stmts
