"""The access log line of one request: secrets masked, control bytes escaped.

A request target is the client's text: written as it came, a CR, LF or ESC
in it could start a forged line or move a terminal's cursor, and a session
id or a password in the query would sit in every log file and backup.  So
the values of the keys in ``SECRET_KEYS`` (compared without case, after
percent-decoding the key, in the query of the target) become ``***``, and
every byte outside printable ASCII, and the backslash, is written as
``\\xNN``.
"""
import re
from urllib.parse import unquote_plus

# Query keys whose values never reach a log line: Flyton's session id (ses),
# its login fields (p, pre, sis), and the usual names of passwords and tokens.
SECRET_KEYS = frozenset((
    "ses", "sis", "p", "pre", "password", "passwd", "pwd", "pass", "secret", "token",
    "access_token", "refresh_token", "api_key", "apikey", "otp", "totp", "session",
))

UNPRINTABLE = re.compile(r"[^\x20-\x5b\x5d-\x7e]")     # all but printable ASCII less "\"


def escape(text):
    """``text`` with every byte outside printable ASCII (and ``\\``) as ``\\xNN``."""
    return UNPRINTABLE.sub(lambda m: "".join(f"\\x{b:02x}" for b in m.group().encode("latin-1",
                                                                                       "replace")),
                           text)


def mask_secrets(target):
    """``/p?ses=abc&rpage=x`` -> ``/p?ses=***&rpage=x`` (the query's secret values)."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = []
    for part in query.split("&"):
        key, equals, _ = part.partition("=")
        if equals and unquote_plus(key).strip().lower() in SECRET_KEYS:
            part = f"{key}=***"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}"


def access_line(client, method, target, status, milliseconds):
    """``client method target status 1.2ms``; the client may be a proxy header's text."""
    return f"{escape(client)} {escape(method)} {escape(mask_secrets(target))} {status} " \
           f"{milliseconds:.1f}ms"
