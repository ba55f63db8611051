"""Finding the session of a request: one query by primary key.

A token must have the shape the login creates (84 characters of
``[A-Za-z0-9_-]``) before the database is asked; anything else is no
session.  The same query reads the session's idle time from the database's
own clock: a session idle longer than ``ses_ttl`` is ended on the spot, and
a live one has its ``updated_at`` touched at most once a minute (not on
every request, which would be a write per page view).  The lookup runs on
the pool kept for it (``cursor(pool="ses")``, ``db_session_conns``
connections), so slow statements holding every other connection never make
a request wait for its session.
"""
import json
import re

from inphms.config import config
from inphms.sql import cursor, get_engine

# fullmatch: "$" would also take a token followed by a newline
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{84}")
TOUCH_EVERY = 60        # seconds between two updates of a session's updated_at

# the third column: seconds since updated_at, by the database's clock
LOAD = "SELECT user_id, data, {idle} FROM ses WHERE id = %s AND is_active = 1"
TOUCH = "UPDATE ses SET updated_at = CURRENT_TIMESTAMP WHERE id = %s"
EXPIRE = "UPDATE ses SET is_active = 0 WHERE id = %s"


def valid_token(token):
    return isinstance(token, str) and bool(TOKEN_RE.fullmatch(token))


def load(token):
    """The session's data dict with ``my_user_id``, or None when there is no live session."""
    if not valid_token(token):
        return None
    since = get_engine().seconds_since("updated_at")
    with cursor(pool="ses") as cr:
        cr.execute(LOAD.format(idle=since), (token,))
        row = cr.fetchone()
        if row is None:
            return None
        user_id, data, idle = row
        idle = int(idle or 0)
        if config["ses_ttl"] and idle > config["ses_ttl"]:
            cr.execute(EXPIRE, (token,))
            return None
        if idle >= TOUCH_EVERY:
            cr.execute(TOUCH, (token,))
    if isinstance(data, (str, bytes)):
        data = json.loads(data or "{}")
    data = dict(data or {})
    data["my_user_id"] = user_id
    return data
