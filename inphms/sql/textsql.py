"""Text ``where`` and ``set`` of Flyton code, turned into parameterized SQL.

Flyton writes conditions and assignments as text::

    find_in_sql({'table': 'ses', 'fld': 'id', 'val': ses, 'where': 'is_active>0'})
    insert_to_sql({'table': 'ses', 'set': f"id='{ses}',user_id={uid}"})

The text is never pasted into a statement.  It is read by sqlglot's MySQL
parser into a tree, and only a small grammar is accepted from that tree
(documented in docs/sql.md, "Text where and set"):

- columns (``col``, ``t.col``, backticks allowed; names checked), string and
  number literals, NULL, TRUE/FALSE;
- ``AND OR NOT ( )``, ``= != <> < > <= >= <=>``, ``IS [NOT] NULL``,
  ``[NOT] LIKE``, ``[NOT] IN (literals)``, ``[NOT] BETWEEN``, ``+ - * /``;
- ``col->'$.key'`` and ``col->>'$.key'`` (a plain key path);
- the functions of ``FUNCS``: NOW(), CURRENT_TIMESTAMP, CURDATE(),
  DATE_SUB / DATE_ADD(x, INTERVAL n unit), LOWER, UPPER, COALESCE / IFNULL.

Every literal becomes a ``%s`` parameter, so a value written into the text
(even one that came from a user and holds quotes) is a value, never SQL.
Anything else (a subquery, UNION, a comment, ``;``, another function, a
statement keyword) is refused with ``TextSqlError`` naming the file and line
of the code that passed the text.

Parsing is the expensive part, and Flyton texts differ mostly in their
literals (``f"id='{ses}'"``).  So the text's *shape*, the text with each
literal replaced by a numbered marker, is parsed once per engine and kept
(``compile_shape``, an LRU cache); a call then costs one tokenization plus
filling the parameters in, and a text seen before (``'is_active>0'``) not
even the tokenization (``split_cached``).  Figures: docs/performance.md,
measured by tests/bench/bench_textsql.py.
"""
import ast
import functools
import linecache
import os
import re
import sys
import threading

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from .errors import SqlError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PATH_RE = re.compile(r"^\$\.([A-Za-z_][A-Za-z0-9_-]*)$")
MARK = "\x01"
MAX_TEXT = 4000

# interval units: the MySQL word -> (SQLite modifier unit, multiplier)
UNITS = {"SECOND": ("seconds", 1), "MINUTE": ("minutes", 1), "HOUR": ("hours", 1),
         "DAY": ("days", 1), "WEEK": ("days", 7), "MONTH": ("months", 1), "YEAR": ("years", 1)}

COMPARE = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
           exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}

FUNCS = ("NOW", "CURRENT_TIMESTAMP", "CURDATE", "DATE_SUB", "DATE_ADD", "LOWER", "UPPER",
         "COALESCE", "IFNULL")

# tokens that the grammar never needs: refused before parsing
REFUSED_TOKENS = {TokenType.SEMICOLON: "';'", TokenType.SELECT: "SELECT", TokenType.UNION: "UNION",
                  TokenType.PARAMETER: "a parameter", TokenType.PLACEHOLDER: "a placeholder"}

class FlyMySQL(MySQL):
    """MySQL's syntax, with a backslash an ordinary character in a literal (NO_BACKSLASH_ESCAPES).

    A quote is written doubled ('it''s').  Then a value with a backslash in
    it cannot hide the quote that ends its literal: f"name='{v}'" with
    v = "\\'; ..." is refused, not read as a shorter value.
    """

    class Tokenizer(MySQL.Tokenizer):
        STRING_ESCAPES = ["'", '"']


dialect = FlyMySQL()
HERE = os.path.dirname(os.path.abspath(__file__))
# frames of the machinery, skipped when naming the code that wrote the text
MACHINERY = (HERE + os.sep, os.path.join(os.path.dirname(HERE), "tools", "sql.py"))
MAX_SITES = 4096
# a string of the calling statement that can be a where or set text
LOOKS_SQL = re.compile(r"[=<>]|\b(?:in|like|is|between)\b", re.I)

# calling site (file, line) -> {"forms": shapes of the f-strings written there, "seen": shapes used}
sites = {}
sites_lock = threading.Lock()


class Built(str):
    """A text made by tools.sql's builders (sql_var, sql_set, sql_where): each value escaped
    into one literal, so its form needs no check against the calling code."""


class TextSqlError(SqlError):
    """A text where/set outside the grammar; the message names the calling file and line."""


def caller_frame():
    """(file, line, code) of the first frame outside inphms.sql and tools/sql.py: the code that wrote the text."""
    f = sys._getframe(1)
    while f is not None:
        path = os.path.abspath(f.f_code.co_filename)
        if not path.startswith(MACHINERY) and "sqlglot" not in path:
            return path, f.f_lineno, f.f_code
        f = f.f_back
    return "?", 0, None


def caller():
    path, line, _code = caller_frame()
    return f"{path}:{line}"


def check_site(text, shape):
    """Refuse a text whose form is not the form its code writes: a value that left its quotes.

    Flyton builds texts with f-strings (f"id='{ses}',user_id={uid}").  The
    string constants and f-strings of the calling statement are read once
    from its source; each gives a form (its {...} parts as literals).  A
    text whose form is none of them is refused: an injected quote changes
    the form (id='x' OR id<>'' is not id='?').  A text built away from the
    call (in a variable) has no form in the statement: the first form the
    site uses is kept, and a different one later is refused.
    """
    # keyed by the code object too (its id; the entry holds the object, so the id
    # stays its own): code reloaded from an edited file is a new site
    path, line, code = caller_frame()
    site = (path, line, id(code))
    with sites_lock:
        known = sites.get(site)
    if known is None:
        known = {"forms": source_forms(path, line), "seen": set(), "code": code}
        with sites_lock:
            if len(sites) >= MAX_SITES:
                sites.clear()
            known = sites.setdefault(site, known)
    if shape in known["forms"] or shape in known["seen"]:
        return None
    if known["forms"]:
        refuse(text, "its form is not the form of the code's text (a value that left its quotes?)")
    if known["seen"]:
        refuse(text, "this line gave a text of another form before (a value that left its quotes?); "
                     "build a changing condition as a dict")
    return known["seen"]


def source_forms(path, line):
    """The shapes of the string constants and f-strings of the statement at path:line."""
    node = statement_at(path, line)
    forms = set()
    if node is None:
        return forms
    for n in ast.walk(node):
        t = None
        if isinstance(n, ast.JoinedStr):
            t = "".join(v.value if isinstance(v, ast.Constant) else "0" for v in n.values)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            t = n.value
        if t is None or len(t) > MAX_TEXT or not LOOKS_SQL.search(t):
            continue        # not a where/set text ('table', 'ses'): a variable's text is pinned instead
        try:
            forms.add(split_literals(t, quiet=True)[0])
        except TextSqlError:
            pass
    return forms


def statement_at(path, line):
    """The innermost statement of the file's syntax tree that holds the line, or None."""
    tree = file_tree(path)
    best = None
    for n in ast.walk(tree) if tree is not None else ():
        if isinstance(n, ast.stmt) and n.lineno <= line <= (n.end_lineno or n.lineno):
            if best is None or n.lineno >= best.lineno:
                if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    best = n
    return best


def file_tree(path):
    """The file's syntax tree, parsed again when the file has changed (a reload)."""
    linecache.checkcache(path)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = 0
    return parsed_file(path, stamp)


@functools.lru_cache(maxsize=256)
def parsed_file(path, stamp):
    src = "".join(linecache.getlines(path))
    if not src:
        return None
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError):
        return None


def refuse(text, why):
    raise TextSqlError(f"{caller()}: text {text!r} refused: {why} (see docs/sql.md, text where and set)")


def where_sql(eng, text):
    """(sql, params) of a text condition, e.g. "is_active>0" -> ("`is_active` > %s", [0])."""
    return run(eng, "where", text)


def set_items(eng, text, insert=False):
    """[(column, sql, params)] of a text assignment list "a='x',b=b+1".

    With ``insert``, a value may not read a column (a new row has none yet).
    """
    return run(eng, "insert" if insert else "set", text)


def run(eng, kind, text):
    if not isinstance(text, str):
        refuse(text, "not a text")
    if len(text) > MAX_TEXT:
        refuse(text[:80] + "...", f"longer than {MAX_TEXT} characters")
    shape, values = split_cached(str(text))
    pin = None
    if not isinstance(text, Built):
        pin = check_site(text, shape)
    try:
        compiled = compile_shape(eng, kind, shape)
    except TextSqlError as e:
        refuse(text, str(e))
    if pin is not None:
        with sites_lock:
            pin.add(shape)      # the first readable form of a line without one in its source
    return compiled.bind(values, text)


def split_literals(text, quiet=False):
    """(shape, literal values): each literal replaced by a numbered string marker.

    A path literal (the string after -> or ->>) stays in the shape: it is
    part of the statement's form and is checked when the shape is compiled.
    """
    stop = refuse
    if quiet:
        stop = quiet_refusal
    try:
        tokens = dialect.tokenize(text)
    except SqlglotError as e:
        stop(text, f"not readable: {first_line(e)}")
    out, values, at, prev = [], [], 0, None
    for t in tokens:
        if t.comments:
            stop(text, "a comment")
        if t.token_type in REFUSED_TOKENS:
            stop(text, REFUSED_TOKENS[t.token_type])
        if t.token_type in (TokenType.STRING, TokenType.NUMBER) and prev not in (TokenType.ARROW,
                                                                                  TokenType.DARROW):
            out.append(text[at:t.start])
            out.append(f"'{MARK}{len(values)}'")
            values.append(literal_value(t))
            at = t.end + 1
        prev = t.token_type
    out.append(text[at:])
    return "".join(out), values


@functools.lru_cache(maxsize=4096)
def split_cached(text):
    """split_literals() of a text seen before (texts repeat: 'is_active>0'); values as a tuple."""
    shape, values = split_literals(text)
    return shape, tuple(values)


def quiet_refusal(text, why):
    raise TextSqlError(why)


def literal_value(t):
    if t.token_type is TokenType.STRING:
        return t.text
    s = t.text
    if re.fullmatch(r"\d+", s):
        return int(s)
    return float(s)


def first_line(e):
    return str(e).splitlines()[0][:200]


class Compiled:
    """A parsed shape: SQL with %s, and how to make each parameter from the call's literals."""

    def __init__(self, sql, slots, columns=None):
        self.sql = sql
        self.slots = slots          # per %s: ("lit", i) | ("interval", i, sign, unit, times) | ("const", v)
        self.columns = columns      # set forms: [(column, sql, slots)]

    def bind(self, values, text):
        if self.columns is None:
            return self.sql, fill(self.slots, values, text)
        return [(c, s, fill(sl, values, text)) for c, s, sl in self.columns]


def fill(slots, values, text):
    p = []
    for s in slots:
        if s[0] == "const":
            p.append(s[1])
            continue
        v = values[s[1]]
        if s[0] == "lit":
            p.append(v)
            continue
        n = interval_amount(v, text)
        if s[0] == "interval_n":
            p.append(n)
            continue
        _kind, _i, sign, unit, times = s
        p.append(f"{sign}{n * times} {unit}")
    return p


def interval_amount(v, text):
    if isinstance(v, str) and re.fullmatch(r"\d+", v.strip()):
        v = int(v)
    if not isinstance(v, int):
        refuse(text, f"INTERVAL needs a whole number, not {v!r}")
    return v


@functools.lru_cache(maxsize=2048)
def compile_shape(eng, kind, shape):
    """Parse one shape for one engine; TextSqlError (without file) when it is outside the grammar."""
    try:
        if kind == "where":
            tree = sqlglot.parse_one(shape, dialect=dialect)
        else:
            tree = sqlglot.parse_one("UPDATE t SET " + shape, dialect=dialect)
    except SqlglotError as e:
        raise TextSqlError(f"not readable: {first_line(e)}") from None
    w = Writer(eng, insert=kind == "insert")
    if kind == "where":
        condition(tree)
        sql = w.sql(tree)
        return Compiled(sql, w.slots)
    if not isinstance(tree, exp.Update) or any(tree.args.get(k) for k in tree.args
                                               if k not in ("this", "expressions")):
        raise TextSqlError("only col=value pairs separated by commas")
    cols = []
    for e in tree.expressions:
        if not isinstance(e, exp.EQ) or not isinstance(e.this, exp.Column) or e.this.table:
            raise TextSqlError("only col=value pairs separated by commas")
        name = column_name(e.this)
        w.slots = []
        s = w.sql(e.expression)
        cols.append((name, s, w.slots))
    return Compiled("", [], cols)


TESTS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)


def condition(e):
    """A where must be conditions joined by AND / OR / NOT, each one about a column.

    So a literal cannot stand as a condition ("... OR 1", "'1'='1'"): a
    text needs a column on one side of each test.
    """
    if isinstance(e, (exp.And, exp.Or)):
        condition(e.this)
        condition(e.expression)
        return
    if isinstance(e, (exp.Not, exp.Paren)):
        condition(e.this)
        return
    if isinstance(e, TESTS):
        if not (has_column(e.this) or has_column(e.expression)):
            raise TextSqlError(f"{e.sql(dialect='mysql')[:60]}: a test needs a column on one side")
        return
    if isinstance(e, (exp.Is, exp.Like, exp.In, exp.Between)):
        if not has_column(e.this):
            raise TextSqlError(f"{e.sql(dialect='mysql')[:60]}: a test needs a column on its left")
        return
    raise TextSqlError(f"{describe(e)} is not a condition")


def has_column(e):
    return e is not None and e.find(exp.Column) is not None


def column_name(c):
    name = c.name
    if not NAME_RE.match(name or ""):
        raise TextSqlError(f"bad column name {name!r}")
    return name


class Writer:
    """Writes a parsed tree in the engine's SQL, or raises TextSqlError."""

    def __init__(self, eng, insert=False):
        self.eng = eng
        self.mysql = eng.name == "mysql"
        self.insert = insert
        self.slots = []

    def sql(self, e):
        t = type(e)
        if t in COMPARE:
            return f"{self.sql(e.this)} {COMPARE[t]} {self.sql(e.expression)}"
        m = getattr(self, "do_" + t.__name__, None)
        if m is None:
            raise TextSqlError(f"{describe(e)} is not in the grammar")
        return m(e)

    def literal_slot(self, e):
        """The marker index of a literal, or TextSqlError for a literal written into the shape."""
        v = e.this
        if e.is_string and isinstance(v, str) and v.startswith(MARK):
            return int(v[1:])
        raise TextSqlError(f"literal {e.sql()} out of place")

    def do_Literal(self, e):
        self.slots.append(("lit", self.literal_slot(e)))
        return "%s"

    def do_Null(self, e):
        return "NULL"

    def do_Boolean(self, e):
        return "1" if e.this else "0"

    def do_Column(self, e):
        if self.insert:
            raise TextSqlError(f"column {e.sql()} in the set of a new row (only values there)")
        parts = [e.table, e.name] if e.table else [e.name]
        if e.args.get("db") or e.args.get("catalog"):
            raise TextSqlError(f"bad column {e.sql()!r}: col or t.col")
        for p in parts:
            if not NAME_RE.match(p or ""):
                raise TextSqlError(f"bad column name {p!r}: letters, digits and _ only")
        return ".".join(self.eng.quote(p) for p in parts)

    def do_And(self, e):
        return f"{self.sql(e.this)} AND {self.sql(e.expression)}"

    def do_Or(self, e):
        return f"{self.sql(e.this)} OR {self.sql(e.expression)}"

    def do_Not(self, e):
        return f"NOT {self.sql(e.this)}"

    def do_Paren(self, e):
        return f"({self.sql(e.this)})"

    def do_Neg(self, e):
        return f"-{self.sql(e.this)}"

    def do_NullSafeEQ(self, e):
        a, b = self.sql(e.this), self.sql(e.expression)
        if self.mysql:
            return f"{a} <=> {b}"
        return f"{a} IS {b}"

    def do_Is(self, e):
        if not isinstance(e.expression, exp.Null):
            raise TextSqlError("IS is for IS NULL / IS NOT NULL")
        return f"{self.sql(e.this)} IS NULL"

    def do_Like(self, e):
        if e.args.get("escape"):
            raise TextSqlError("LIKE ... ESCAPE is not in the grammar (the escape is \\)")
        like = f"{self.sql(e.this)} LIKE {self.sql(e.expression)}"
        if self.mysql:
            return like
        return like + " ESCAPE '\\'"     # MySQL's default escape, on SQLite too

    def do_ILike(self, e):
        raise TextSqlError("ILIKE is not MySQL")

    def do_In(self, e):
        items = e.expressions
        if e.args.get("query") or e.args.get("unnest") or e.args.get("field") or not items:
            raise TextSqlError("IN needs a list of values")
        for i in items:
            if not isinstance(i, (exp.Literal, exp.Neg, exp.Null)):
                raise TextSqlError("IN needs a list of values")
        return f"{self.sql(e.this)} IN ({', '.join(self.sql(i) for i in items)})"

    def do_Between(self, e):
        return f"{self.sql(e.this)} BETWEEN {self.sql(e.args['low'])} AND {self.sql(e.args['high'])}"

    def json_path(self, e):
        """The checked path of -> / ->>, as a parameter."""
        p = e.expression
        text = p.sql(dialect="mysql").strip("'\"") if p is not None else ""
        if isinstance(p, exp.JSONPath):
            keys = p.expressions
            if len(keys) != 2 or not isinstance(keys[0], exp.JSONPathRoot) \
                    or not isinstance(keys[1], exp.JSONPathKey):
                raise TextSqlError(f"JSON path {text!r}: only '$.key'")
            text = "$." + str(keys[1].this)
        if not PATH_RE.match(text):
            raise TextSqlError(f"JSON path {text!r}: only '$.key'")
        return text

    def do_JSONExtract(self, e):
        col = self.sql(e.this)
        self.slots.append(("const", self.json_path(e)))
        if self.mysql:
            return f"JSON_EXTRACT({col}, %s)"
        return f"json_extract({col}, %s)"

    def do_JSONExtractScalar(self, e):
        col = self.sql(e.this)
        self.slots.append(("const", self.json_path(e)))
        if self.mysql:
            return f"JSON_UNQUOTE(JSON_EXTRACT({col}, %s))"
        return f"json_extract({col}, %s)"

    def now(self):
        return "CURRENT_TIMESTAMP"

    def do_CurrentTimestamp(self, e):
        if e.this is not None:
            raise TextSqlError("CURRENT_TIMESTAMP takes no precision here")
        return self.now()

    def do_CurrentDate(self, e):
        if self.mysql:
            return "CURRENT_DATE"
        return "date('now')"

    def do_Anonymous(self, e):
        name = str(e.this).upper()
        if name == "NOW" and not e.expressions:
            return self.now()
        if name == "IFNULL" and len(e.expressions) == 2:
            return self.coalesce(e.expressions)
        raise TextSqlError(f"function {e.this}() is not one of {', '.join(FUNCS)}")

    def do_Coalesce(self, e):
        return self.coalesce([e.this] + list(e.expressions))

    def coalesce(self, items):
        return f"COALESCE({', '.join(self.sql(i) for i in items)})"

    def do_Lower(self, e):
        return f"LOWER({self.sql(e.this)})"

    def do_Upper(self, e):
        return f"UPPER({self.sql(e.this)})"

    def do_DateSub(self, e):
        return self.date_move(e, "-", "DATE_SUB")

    def do_DateAdd(self, e):
        return self.date_move(e, "+", "DATE_ADD")

    def date_move(self, e, sign, fn):
        unit = e.args.get("unit")
        u = str(unit.this if unit is not None else "").upper()
        if u not in UNITS:
            raise TextSqlError(f"{fn} unit {u or '?'}: one of {', '.join(UNITS)}")
        n = e.expression
        if isinstance(n, exp.Interval):
            n = n.this
        if not isinstance(n, exp.Literal):
            raise TextSqlError(f"{fn} needs INTERVAL <number> <unit>")
        i = self.literal_slot(n)
        base = self.sql(e.this)
        if self.mysql:
            self.slots.append(("interval_n", i))
            return f"{fn}({base}, INTERVAL %s {u})"
        name, times = UNITS[u]
        self.slots.append(("interval", i, sign, name, times))
        return f"datetime({base}, %s)"


def describe(e):
    if isinstance(e, (exp.Select, exp.Subquery, exp.Union, exp.Exists)):
        return "a subquery"
    if isinstance(e, exp.Func):
        return f"function {e.sql_name()}()"
    return f"{type(e).__name__} ({e.sql()[:60]})"
