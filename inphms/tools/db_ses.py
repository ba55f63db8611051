"""db_ses: the sessions of the `ses` table, as Flyton code uses them.

    from tools.db_ses import *

    add2ses(ses, {"page": "prodlist"})        # kept for the next pages: data["s"]["page"]
    if not is_ses_role(ses, "admin"):
        return "no alw"

A session is a row of `ses` whose id is the token.  Its rules (the token's
shape, ses_ttl, roles compared whole) are inphms.auth's: these functions
give them Flyton's names and answers, and an addon's own copy of this file
changes nothing the server applies.  Every write merges into the row's
JSON data atomically (tools.sql's add_to_data), so two requests adding
different keys both keep theirs.
"""
import logging
import urllib.parse

from inphms.auth import sessions, tokens
from tools.sql import *
from tools.sql import no_row, write_failed, written

__all__ = ["add2ses", "check_ses", "is_ses", "create_new_ses", "end_ses", "is_ses_role",
           "ses_user", "ses_list", "live_url"]

log = logging.getLogger(__name__)


def add2ses(ses, obj):
    """Merge obj (a dict) into the session's data.

    False when there is no such session, as Flyton's; else the answer of
    add_to_data ({"status": 1, ...}, or status 0 and err).
    """
    if not tokens.valid_session_token(ses):
        return False
    if not isinstance(obj, dict):
        return {"status": 0, "err": "add2ses needs a dict"}
    t = add_to_data("ses", ses, obj)
    if not t["status"] and "no row" in t.get("err", ""):
        return False
    return t


def check_ses(ses):
    """1 when ses is an active session that has not been idle past ses_ttl, else 0."""
    if sessions.load(ses) is None:
        return 0
    return 1


is_ses = check_ses


def create_new_ses(user_id, data={}):
    """A new active session of user_id; returns its token, or 0 when it could not be written (Flyton's)."""
    try:
        return sessions.create(user_id, data)
    except SqlError as e:
        log.warning("create_new_ses(%r): %s", user_id, e)
        return 0


def end_ses(ses):
    """Log out: the session becomes is_active = 0 (nothing is deleted)."""
    if not tokens.valid_session_token(ses):
        return {"status": 0, "err": "bad session"}
    try:
        if not sessions.end(ses):
            return no_row("ses", ses)
    except SqlError as e:
        return write_failed(e)
    return written(ses)


def ses_user(ses):
    """The users row (id, username, FirstName, LastName, Roles) of an active session, or False."""
    w = sessions.user_of(ses)
    if w is None:
        return False
    return w


def is_ses_role(ses, role):
    """1 when the user of the session has role in the Roles JSON list of users, else 0."""
    if not sessions.has_role(ses, role):
        return 0
    return 1


def ses_list(r):
    """The active sessions idle for more than r["ttl"] hours: a list of rows (all columns), or False."""
    ttl = int(r["ttl"])
    return find_in_sql({'table': 'ses', 'fld': 'is_active', 'val': 1, 'all': 1, 'what': '*',
                        'where': f"updated_at<DATE_SUB(NOW(),INTERVAL {ttl} HOUR)"})


def live_url(cont_id):
    """The renew link of the first session (is_active 2) whose data cont_id is cont_id; "" when none.

    The data key is compared as text, as Flyton's comment asks.
    """
    w = find_rows({'table': 'ses', 'fld': 'is_active', 'val': 2, 'what': 'id', 'all': 1,
                   'where': {'cont_id': ('=', str(cont_id), 'data')}, 'sort': 'id'})
    if not w:
        return ""
    s = urllib.parse.quote(str(w[0][0]), safe="")
    return f"/pages/renew.html?ses={s}&a=1&admi=1"
