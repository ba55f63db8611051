"""Read a ``tables.sql`` file (MySQL syntax) into ``Table`` objects.

The file holds ``CREATE TABLE`` statements and ``--`` (or ``#``) comments;
the documented ``DROP TABLE`` line and the example ``INSERT`` rows stay
commented out.  Only the subset both engines can take is accepted (see
docs/sql.md); anything else is refused with a ``TablesError`` naming the
file and the line, so nothing is ever dropped silently.
"""
import re

from .errors import TablesError

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TOKEN_RE = re.compile(r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>(?:--(?:[ \t\r][^\n]*)?(?=\n|\Z))|\#[^\n]*)
  | (?P<block>/\*)
  | (?P<qname>`(?:[^`]|``)+`)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<punct>[(),;=])
  | (?P<op>[<>!+*/%.:&|^~@-]+)
""", re.X | re.S)

KINDS = {
    "int": "int", "integer": "int", "bigint": "int", "smallint": "int",
    "mediumint": "int", "tinyint": "int",
    "varchar": "text", "char": "text", "text": "text", "tinytext": "text",
    "mediumtext": "text", "longtext": "text",
    "json": "json", "timestamp": "timestamp", "datetime": "timestamp", "date": "date",
    "float": "real", "double": "real", "blob": "blob", "mediumblob": "blob", "longblob": "blob",
}
ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


class Token:
    def __init__(self, kind, text, line, start, end):
        self.kind, self.text, self.line, self.start, self.end = kind, text, line, start, end

    @property
    def upper(self):
        return self.text.upper() if self.kind == "word" else None


class Column:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.type, self.kind = "", ""
        self.unsigned = self.not_null = self.auto_increment = self.primary = self.unique = False
        self.default = None             # ("literal", value) | ("now",) | ("null",)
        self.on_update = False
        self.comment = ""


class Table:
    def __init__(self, name, path, line, text, name_offset, if_not_exists):
        self.name, self.path, self.line = name, path, line
        self.text, self.name_offset, self.if_not_exists = text, name_offset, if_not_exists
        self.columns = []
        self.primary = []               # table-level PRIMARY KEY columns
        self.uniques = []               # [(name, [cols])]
        self.keys = []                  # [(name, [cols])]
        self.options = {}               # engine, charset, collate, auto_increment, comment

    @property
    def auto_column(self):
        return next((c for c in self.columns if c.auto_increment), None)


def tokenize(text, path):
    tokens, line, pos = [], 1, 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if m is None:
            raise TablesError(path, line, f"cannot read {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        if kind == "block":
            raise TablesError(path, line, "block comments /* */ are not read: use -- comments")
        if kind not in ("space", "newline", "comment"):
            tokens.append(Token(kind, m.group(), line, m.start(), m.end()))
        line += m.group().count("\n")
        pos = m.end()
    return tokens


def statements(tokens):
    """Token lists of the statements, split on ';'."""
    current = []
    for tok in tokens:
        if tok.kind == "punct" and tok.text == ";":
            if current:
                yield current
            current = []
            continue
        current.append(tok)
    if current:
        yield current


def parse_file(path):
    with open(path, encoding="utf-8") as handle:
        return parse_text(handle.read(), path)


def parse_text(text, path="tables.sql"):
    tables = []
    for toks in statements(tokenize(text, path)):
        table = Parser(toks, text, path).statement()
        if any(t.name == table.name for t in tables):
            raise TablesError(path, table.line, f"table {table.name} is created twice")
        tables.append(table)
    return tables


def unquote_string(text):
    quote, body, out, i = text[0], text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(ESCAPES.get(nxt, nxt if nxt not in "%_" else "\\" + nxt))
            i += 2
            continue
        if ch == quote and body[i + 1:i + 2] == quote:
            i += 1
        out.append(ch)
        i += 1
    return "".join(out)


class Parser:
    """Recursive descent over one statement's tokens."""

    def __init__(self, tokens, source, path):
        self.toks, self.source, self.path, self.pos = tokens, source, path, 0

    # token helpers
    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.toks[index] if index < len(self.toks) else None

    def fail(self, message, tok=None):
        tok = tok or self.peek() or self.toks[-1]
        raise TablesError(self.path, tok.line, message)

    def take(self):
        tok = self.peek()
        if tok is None:
            self.fail("the statement ends too early")
        self.pos += 1
        return tok

    def accept(self, *words):
        tok = self.peek()
        if tok is not None and (tok.upper in words or (tok.kind == "punct" and tok.text in words)):
            self.pos += 1
            return tok
        return None

    def expect(self, *words):
        tok = self.accept(*words)
        if tok is None:
            found = self.peek().text if self.peek() else "the end"
            self.fail(f"expected {' or '.join(words)}, found {found!r}")
        return tok

    def name(self, what):
        tok = self.take()
        text = tok.text[1:-1].replace("``", "`") if tok.kind == "qname" else tok.text
        if tok.kind not in ("word", "qname") or not NAME_RE.fullmatch(text):
            self.fail(f"bad {what} name {tok.text!r} (letters, digits and _ only)", tok)
        return text

    # statements
    def statement(self):
        first = self.peek()
        word = first.upper
        if word == "INSERT":
            self.fail("example rows must stay commented out (-- INSERT ...); db init creates tables only")
        if word == "DROP":
            self.fail("DROP statements must stay commented out (-- DROP TABLE ...)")
        if word != "CREATE" or (self.peek(1) and self.peek(1).upper != "TABLE"):
            self.fail(f"only CREATE TABLE statements can be read, not {first.text!r}")
        self.pos += 2
        if_not_exists = bool(self.accept("IF"))
        if if_not_exists:
            self.expect("NOT")
            self.expect("EXISTS")
        name_tok = self.peek()
        table = Table(self.name("table"), self.path, first.line, "", 0, if_not_exists)
        table.text = self.source[first.start:self.toks[-1].end]
        table.name_offset = name_tok.start - first.start
        self.expect("(")
        while True:
            self.item(table)
            if self.accept(")"):
                break
            self.expect(",")
        self.table_options(table)
        self.check(table)
        return table

    def item(self, table):
        word = self.peek().upper if self.peek() else None
        if word == "CONSTRAINT":
            self.take()
            if self.peek() and self.peek().upper not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
                self.name("constraint")
            word = self.peek().upper if self.peek() else None
        if word == "PRIMARY":
            self.take()
            self.expect("KEY")
            if table.primary:
                self.fail("a second PRIMARY KEY")
            table.primary = self.key_columns()
            return
        if word == "UNIQUE":
            self.take()
            self.accept("KEY", "INDEX")
            name = self.name("index") if self.peek() and self.peek().text != "(" else ""
            table.uniques.append((name, self.key_columns()))
            return
        if word in ("KEY", "INDEX"):
            self.take()
            name = self.name("index") if self.peek() and self.peek().text != "(" else ""
            table.keys.append((name, self.key_columns()))
            return
        if word in ("FOREIGN", "CHECK", "FULLTEXT", "SPATIAL"):
            self.fail(f"{word} is not in the tables.sql subset both engines take")
        self.column(table)

    def key_columns(self):
        self.expect("(")
        cols = []
        while True:
            cols.append(self.name("column"))
            if self.peek() and self.peek().text == "(":
                self.fail("index prefix lengths (col(n)) cannot be translated for SQLite")
            self.accept("ASC", "DESC")
            if self.accept(")"):
                return cols
            self.expect(",")

    def column(self, table):
        tok = self.peek()
        col = Column(self.name("column"), tok.line)
        type_tok = self.take()
        kind = KINDS.get(type_tok.text.lower()) if type_tok.kind == "word" else None
        if kind is None:
            self.fail(f"column {col.name}: type {type_tok.text!r} is not in the tables.sql subset", type_tok)
        col.type, col.kind = type_tok.text.lower(), kind
        if self.accept("("):
            col.type += "(" + self.number() + (("," + self.number()) if self.accept(",") else "") + ")"
            self.expect(")")
        while self.accept("UNSIGNED", "SIGNED", "ZEROFILL") is not None:
            col.unsigned = col.unsigned or self.toks[self.pos - 1].upper == "UNSIGNED"
        while self.peek() is not None and self.peek().text not in (",", ")"):
            self.attribute(col)
        table.columns.append(col)

    def number(self):
        tok = self.take()
        if tok.kind != "number":
            self.fail(f"expected a number, found {tok.text!r}", tok)
        return tok.text

    def attribute(self, col):
        tok = self.take()
        word = tok.upper
        if word == "NOT":
            self.expect("NULL")
            col.not_null = True
        elif word == "NULL":
            col.not_null = False
        elif word == "DEFAULT":
            col.default = self.default_value()
        elif word == "AUTO_INCREMENT":
            col.auto_increment = True
        elif word == "PRIMARY":
            self.expect("KEY")
            col.primary = True
        elif word == "UNIQUE":
            self.accept("KEY")
            col.unique = True
        elif word == "ON":
            self.expect("UPDATE")
            self.now()
            col.on_update = True
        elif word == "COMMENT":
            col.comment = self.string()
        elif word in ("CHARSET", "CHARACTER", "COLLATE"):
            if word == "CHARACTER":
                self.expect("SET")
            self.take()
        else:
            self.fail(f"column {col.name}: {tok.text!r} is not in the tables.sql subset", tok)

    def now(self):
        tok = self.take()
        if tok.upper not in ("CURRENT_TIMESTAMP", "NOW"):
            self.fail(f"expected CURRENT_TIMESTAMP, found {tok.text!r}", tok)
        if self.accept("("):
            self.expect(")")
        elif tok.upper == "NOW":
            self.fail("expected NOW()", tok)

    def default_value(self):
        tok = self.peek()
        if tok.upper in ("CURRENT_TIMESTAMP", "NOW"):
            self.now()
            return ("now",)
        self.take()
        if tok.upper == "NULL":
            return ("null",)
        if tok.kind == "number":
            return ("literal", float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "string":
            return ("literal", unquote_string(tok.text))
        if tok.upper in ("TRUE", "FALSE"):
            return ("literal", int(tok.upper == "TRUE"))
        self.fail(f"default {tok.text!r} is not in the tables.sql subset", tok)

    def string(self):
        self.accept("=")
        tok = self.take()
        if tok.kind != "string":
            self.fail(f"expected a quoted string, found {tok.text!r}", tok)
        return unquote_string(tok.text)

    def table_options(self, table):
        while self.peek() is not None:
            if self.accept(","):
                continue
            tok = self.take()
            word = tok.upper
            if word == "DEFAULT" and self.peek() and self.peek().upper in ("CHARSET", "CHARACTER", "COLLATE"):
                tok = self.take()
                word = tok.upper
            if word == "CHARACTER":
                self.expect("SET")
                word = "CHARSET"
            if word in ("ENGINE", "CHARSET", "COLLATE"):
                self.accept("=")
                table.options[word.lower()] = self.take().text
            elif word == "AUTO_INCREMENT":
                self.accept("=")
                table.options["auto_increment"] = int(self.number())
            elif word == "COMMENT":
                table.options["comment"] = self.string()
            else:
                self.fail(f"table option {tok.text!r} is not in the tables.sql subset", tok)

    def check(self, table):
        names = [c.name for c in table.columns]
        first = self.toks[0]
        for col in table.columns:
            if names.count(col.name) > 1:
                raise TablesError(self.path, col.line, f"column {col.name} is declared twice")
            if col.on_update and col.kind != "timestamp":
                raise TablesError(self.path, col.line,
                                  f"column {col.name}: ON UPDATE needs a timestamp column")
        for cols in [table.primary] + [c for _n, c in table.uniques + table.keys]:
            for name in cols:
                if name not in names:
                    raise TablesError(self.path, first.line, f"table {table.name}: no column {name} to index")
        inline = [c for c in table.columns if c.primary]
        if len(inline) > 1 or (inline and table.primary):
            raise TablesError(self.path, first.line, f"table {table.name}: more than one PRIMARY KEY")
        autos = [c for c in table.columns if c.auto_increment]
        if len(autos) > 1:
            raise TablesError(self.path, autos[1].line, "only one AUTO_INCREMENT column per table")
        for col in autos:
            if col.kind != "int":
                raise TablesError(self.path, col.line,
                                  f"column {col.name}: AUTO_INCREMENT needs an int column")
            if not col.primary and table.primary != [col.name]:
                raise TablesError(self.path, col.line, f"column {col.name}: "
                                  "an AUTO_INCREMENT column must be the PRIMARY KEY alone")
