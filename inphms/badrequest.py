"""What a malformed request is, found before any addon code runs.

``BadRequest`` carries the one-line reason a request is refused; the
Application answers it with 400 in the dispatcher's own form (JSON for the
API, an HTML page for pages) and one warning line in the log, never a
traceback.  The checks here are the ones every request of a kind gets:

- ``check_query(environ)``: the query string is UTF-8, as its raw bytes
  and once its %-escapes are decoded (a browser sends nothing else; a raw
  0xff made werkzeug raise ``UnicodeDecodeError``);
- ``parse_json(raw)``: an API body is UTF-8 JSON (no BOM, no NaN or
  Infinity, which are not JSON), nested at most ``MAX_DEPTH`` deep, and
  holds no lone surrogate (``"\\ud800"`` decodes to a str no database or
  encoder can take).

Each check costs next to nothing on a well-formed request: the walk over
the decoded JSON runs only when the text could hold what it looks for.
"""
import json
import re
import urllib.parse

import werkzeug.exceptions

MAX_DEPTH = 64          # arrays and objects inside each other in an API body
ESCAPED_SURROGATE_RE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE_RE = re.compile("[\ud800-\udfff]")


class BadRequest(werkzeug.exceptions.BadRequest):
    """A request the client got wrong; ``description`` says how, in one line."""


def check_query(environ):
    """BadRequest when the query string is not UTF-8, raw or %-decoded."""
    text = environ.get("QUERY_STRING", "")
    if not text:
        return
    try:
        raw = text.encode("latin-1")    # WSGI: the bytes as latin-1 characters
        raw.decode("utf-8")
        if b"%" in raw:
            urllib.parse.unquote_to_bytes(raw).decode("utf-8")
    except UnicodeError:
        raise BadRequest("the query string is not UTF-8") from None


def no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(raw):
    """The JSON value of the bytes ``raw``; BadRequest saying what is wrong with them."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"bad JSON body: not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise BadRequest(f"bad JSON body: nested more than {MAX_DEPTH} deep") from None
    except ValueError as exc:
        raise BadRequest(f"bad JSON body: {str(exc)[:200]}") from None
    surrogates = ESCAPED_SURROGATE_RE.search(text) is not None
    if surrogates or text.count("[") + text.count("{") > MAX_DEPTH:
        walk(value, surrogates)
    return value


def walk(value, surrogates):
    """BadRequest when ``value`` nests deeper than MAX_DEPTH or (if asked) holds a lone surrogate."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
            texts = item.keys()
        elif isinstance(item, list):
            children = item
            texts = ()
        else:
            continue
        if depth > MAX_DEPTH:
            raise BadRequest(f"bad JSON body: nested more than {MAX_DEPTH} deep")
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
        if not surrogates:
            continue
        for text in [*texts, *(c for c in children if isinstance(c, str))]:
            if SURROGATE_RE.search(text):
                raise BadRequest("bad JSON body: a string holds a lone surrogate (\\ud800-\\udfff)")
    if surrogates and isinstance(value, str) and SURROGATE_RE.search(value):
        raise BadRequest("bad JSON body: a string holds a lone surrogate (\\ud800-\\udfff)")
