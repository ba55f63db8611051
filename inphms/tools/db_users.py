"""db_users: the users of the `users` table: passwords, lockout, MFA, roles.

    from tools.db_users import *

    w = user_login("dana", "secret")      # {"ok":1,"user":row} or {"ok":0}
    user_add("dana", "secret", ["admin"], "Dana", "Levi")

The rules (password hashes and Flyton's base64 sis, five failures in 15
minutes lock the user for 15, the MFA step and its codes taken once, roles
compared whole) are inphms.auth's, the same the server's login applies:
these functions give them Flyton's names and answers, and an addon's own
copy of this file changes nothing the server applies.  See docs/security.md.
"""
import logging

from inphms.auth import lockout, mfa, roles, users
from tools.db_ses import *
from tools.kictotp import *
from tools.sql import *
from tools.sql import written

__all__ = ["user_find", "user_login", "user_ses", "user_add", "user_passwd", "user_off", "user_roles",
           "user_mfa_on", "user_mfa_pre", "user_mfa_check", "first_admin",
           "fails_max", "fails_window", "lock_time"]

fails_max = lockout.FAILS_MAX
fails_window = lockout.FAILS_WINDOW
lock_time = lockout.LOCK_TIME
pre_time = mfa.PRE_TIME
log = logging.getLogger(__name__)


def user_find(u):
    """The users row of username u (active or not), or False."""
    w = users.find(u)
    if w is None:
        return False
    return w


def user_login(u, p):
    """{"ok":1,"user":row} when u/p are right and the user active and not locked, else {"ok":0}."""
    w = users.login(u, p)
    if w is None:
        return {"ok": 0}
    return {"ok": 1, "user": w}


def user_ses(w):
    """A new session of users row w, its data holding the name shown in the header; 0 when it failed."""
    try:
        return users.open_session(w)
    except SqlError as e:
        log.warning("user_ses(%r): %s", w["id"], e)
        return 0


def flyton_answer(t):
    """Flyton's answer of a write (tools.sql's) for the answer of inphms.auth.users."""
    if not t["status"]:
        return t
    return written(t["id"])


def user_add(u, p, roles=[], first="", last=""):
    """A new active user; {"status":1,"id":..} or {"status":0,"err":..}."""
    return flyton_answer(users.add(u, p, roles, first, last))


def user_passwd(u, p):
    """A new password (and no lock) for user u."""
    return flyton_answer(users.set_password(u, p))


def user_off(u):
    """is_active = 0 for user u, and its sessions end."""
    return flyton_answer(users.switch_off(u))


def user_roles(w):
    """The Roles of a users row as a list."""
    return roles.parse_roles(w["Roles"])


def user_mfa_on(u):
    """Enrol user u in TOTP: a new secret in data["mfa"]; returns the otpauth URI or ""."""
    return users.enrol_mfa(u)


def user_mfa_pre(id):
    """A one-time token for the MFA step of user id, valid pre_time seconds."""
    return users.begin_code_step(id)


def user_mfa_check(pre, code):
    """{"ok":1,"user":row} when pre is a live MFA step and code its user's TOTP code, else {"ok":0}.

    A code already used (its time step no later than "mfa_last") is refused.
    """
    w = users.finish_code_step(pre, code)
    if w is None:
        return {"ok": 0}
    return {"ok": 1, "user": w}


def first_admin():
    """On an empty users table: user admin with a random password; returns it, else ""."""
    return users.first_admin()
