"""The ``ses`` table: a row per logged-in tab, its id the session token.

``load`` finds the session of a request with one query by primary key, on
the pool kept for it (``cursor(pool="ses")``, ``db_session_conns``
connections), so slow statements holding every other connection never make
a request wait for its session.  A token of the wrong shape is no session
and costs no query (``tokens.valid_session_token``).  The same query reads
the session's idle time from the database's own clock: a session idle
longer than ``ses_ttl`` is ended on the spot, and a live one has its
``updated_at`` touched at most once a minute (not on every request, which
would be a write per page view).  ``end_idle`` ends, in one statement, the
idle sessions nobody comes back to (the ``ses_expire`` cron job).

Database errors are raised (``SqlError``); the Flyton tools turn them into
Flyton's answers.
"""
import json

from inphms.config import config
from inphms.sql import cursor, get_engine

from . import roles, tokens

TOUCH_EVERY = 60        # seconds between two updates of a session's updated_at

# the third column: seconds since updated_at, by the database's clock
LOAD = "SELECT user_id, data, {idle} FROM ses WHERE id = %s AND is_active = 1"
TOUCH = "UPDATE ses SET updated_at = CURRENT_TIMESTAMP WHERE id = %s"
EXPIRE = "UPDATE ses SET is_active = 0 WHERE id = %s"
CREATE = "INSERT INTO ses (id, user_id, is_active, data) VALUES (%s, %s, 1, %s)"
END = "UPDATE ses SET is_active = 0 WHERE id = %s"
END_IDLE = "UPDATE ses SET is_active = 0 WHERE is_active = 1 AND updated_at < %s"
END_OF_USER = "UPDATE ses SET is_active = 0 WHERE user_id = %s"
USER_OF = ("SELECT u.id, u.username, u.FirstName, u.LastName, u.Roles FROM ses s "
           "JOIN users u ON s.user_id = u.id "
           "WHERE s.id = %s AND s.is_active = 1 AND u.is_active = 1")


def load(token):
    """The session's data dict with ``my_user_id``, or None when there is no live session."""
    if not tokens.valid_session_token(token):
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


def create(user_id, data=None):
    """A new active session of ``user_id`` holding ``data``; its token."""
    token = tokens.new_session_token()
    text = json.dumps(dict(data or {}), ensure_ascii=False)
    with cursor() as cr:
        cr.execute(CREATE, (token, user_id, text))
    return token


def end(token):
    """Log out: the session becomes is_active = 0 (nothing is deleted); False when there is no such row."""
    if not tokens.valid_session_token(token):
        return False
    with cursor() as cr:
        cr.execute(END, (token,))
        return cr.rowcount > 0


def end_live(token, why):
    """End the session when it is live (is_active 1), noting ``why`` in its data; True when it was."""
    if not tokens.valid_session_token(token):
        return False
    with cursor() as cr:
        eng = cr.engine
        merged = f"JSON_SET({eng.json_object('data')}, '$.why', %s)"
        cr.execute(f"UPDATE ses SET is_active = 0, data = {merged} WHERE id = %s AND is_active = 1",
                   (why, token))
        return cr.rowcount > 0


def end_of_user(user_id):
    """End every session of ``user_id`` (the user was switched off)."""
    with cursor() as cr:
        cr.execute(END_OF_USER, (user_id,))


def end_idle(older_than):
    """End every live session last used before ``older_than`` (a datetime, UTC); how many."""
    with cursor() as cr:
        cr.execute(END_IDLE, (older_than,))
        return cr.rowcount


def user_of(token):
    """The users row (id, username, FirstName, LastName, Roles) of a live session of an active user, or None."""
    if not tokens.valid_session_token(token):
        return None
    with cursor() as cr:
        cr.execute(USER_OF, (token,))
        return cr.fetchone()


def has_role(token, role):
    """True when the user of the live session ``token`` has ``role`` (compared whole)."""
    row = user_of(token)
    if row is None:
        return False
    return roles.has_role(row["Roles"], role)
