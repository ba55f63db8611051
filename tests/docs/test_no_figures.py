"""No measured figure in the runtime's docstrings and comments.

Docstrings and comments say what code does and why; a figure measured on
some machine (microseconds, milliseconds, requests/s) goes stale as soon as
the code or the machine changes, so it lives in docs/performance.md, where
the benchmark refreshes it.  A figure in ``double backquotes`` is a literal
(a log line's format, an option's value), not a measurement, and is allowed.
"""
import ast
import io
import re
import textwrap
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "inphms"

# a number (or a range of them) with a unit of time or rate: "10 us", "127-134 µs",
# "0.8 ms", "1,649 req/s", "3,000 requests/s"
FIGURE = re.compile(r"\d[\d,.]*(?:\s*-\s*\d[\d,.]*)?\s*"
                    r"(?:µs|us|ms|microseconds?|milliseconds?|req/s|requests/s|requests a second)"
                    r"(?![\w/])", re.I)
LITERAL = re.compile(r"``.*?``", re.S)


def texts_of(source):
    """(line, text) of every comment and docstring of a module's source."""
    found = [(t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
             if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                found.append((node.body[0].lineno, doc))
    return found


def figures_in(source):
    """(line, figure) of every measured figure in the comments and docstrings of ``source``."""
    out = []
    for line, text in texts_of(source):
        text = LITERAL.sub(lambda m: " " * len(m.group(0)), text)
        for m in FIGURE.finditer(text):
            out.append((line + text.count("\n", 0, m.start()), m.group(0)))
    return out


def test_no_docstring_or_comment_in_inphms_holds_a_measured_figure():
    found = [f"{path.relative_to(ROOT)}:{line}: {figure!r}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, figure in figures_in(path.read_text())]
    assert not found, ("measured figures belong in docs/performance.md, not in the code:\n"
                       + "\n".join(found))


def test_the_check_sees_figures_in_comments_and_docstrings_only():
    source = textwrap.dedent('''\
    """A module.

    The lookup costs 127-134 us of CPU.  The access line reads ``host GET / 200 1.2ms``.
    """
    LIMIT = 0.0005  # quick: a local database answers in 10 us
    TEXT = "a string that is no docstring: 1,649 req/s"


    def f():
        """Answers 3,000 requests/s on this machine."""
        return "5 ms"
    ''')
    assert figures_in(source) == [(5, "10 us"), (3, "127-134 us"), (10, "3,000 requests/s")]
