"""db_users: the users of the `users` table: passwords, lockout, MFA, roles.

    from tools.db_users import *

    w = user_login("dana", "secret")      # {"ok":1,"user":row} or {"ok":0}
    user_add("dana", "secret", ["admin"], "Dana", "Levi")

Passwords are kept only as werkzeug.security hashes in `sis`.  A row from a
Flyton install, whose `sis` is the password in base64, logs in with that
password (or with its base64, which Flyton's login page sends: btoa), and
its `sis` becomes a hash at that login.  Five failed
logins within 15 minutes lock the user for 15 minutes; the count and the
lock are kept in the user's data ("fails", "lock_until"), where an operator
can see them (and clear them: user passwd clears the lock).

Each failure is counted inside one transaction that holds the user's row
(users_locked), so failures arriving at once are all counted.  The MFA
step works the same way, and keeps the time step of the last code used
("mfa_last"): a code is taken once, never again within its window.
"""
import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time

from werkzeug.security import check_password_hash, generate_password_hash

from inphms.sql import cursor
from tools.db_ses import *
from tools.kictotp import *
from tools.sql import *

__all__ = ["user_find", "user_login", "user_ses", "user_add", "user_passwd", "user_off", "user_roles",
           "user_mfa_on", "user_mfa_pre", "user_mfa_check", "first_admin",
           "fails_max", "fails_window", "lock_time"]

fails_max = 5
fails_window = 15 * 60
lock_time = 15 * 60
pre_time = 5 * 60
what = "id,username,FirstName,LastName,Roles,sis,is_active,data"
hashes = ("scrypt:", "pbkdf2:")
log = logging.getLogger(__name__)

# checked when the user does not exist, so both answers take the same time
dummy = generate_password_hash("no such user")


def user_find(u):
    """The users row of username u (active or not), or False."""
    if not isinstance(u, str) or not u:
        return False
    return find_rows({"table": "users", "fld": "username", "val": u, "what": what})


def user_login(u, p):
    """{"ok":1,"user":row} when u/p are right and the user active and not locked, else {"ok":0}."""
    w = user_find(u)
    if not w or not w["is_active"]:
        check_password_hash(dummy, str(p or ""))
        return {"ok": 0}
    d = get_data("users", w["id"])
    now = time.time()
    if d.get("lock_until", 0) > now:
        check_password_hash(dummy, str(p or ""))
        return {"ok": 0}
    if not w["sis"] or not sis_ok(w, str(p or "")):
        user_failed(w["id"], d, now)
        return {"ok": 0}
    if d.get("fails") or d.get("lock_until"):
        add_to_data("users", w["id"], {"fails": "!del", "lock_until": "!del"})
    return {"ok": 1, "user": w}


def sis_ok(w, p):
    """1 when p, or the text p is the base64 of (Flyton's page sends btoa), fits w's sis."""
    s = w["sis"]
    if s.startswith(hashes):
        for t in pass_forms(p):
            if check_password_hash(s, t):
                return 1
        return 0
    t = flyton_sis(s, p)
    if t is None:
        check_password_hash(dummy, p)
        return 0
    insert_to_sql({"table": "users", "id": w["id"], "set": {"sis": generate_password_hash(t)}})
    log.info("user %s: the base64 sis of Flyton became a password hash at this login", w["username"])
    return 1


def pass_forms(p):
    """p, and the text p is the base64 of when it is one."""
    t = unb64(p)
    if t is None or t == p:
        return [p]
    return [p, t]


def flyton_sis(s, p):
    """The password when sis s is Flyton's base64 of it and p is it or its base64, else None."""
    t = unb64(s)
    if t is None:
        return None
    if hmac.compare_digest(s.encode(), p.encode()):
        return t
    if hmac.compare_digest(t.encode(), p.encode()):
        return t
    return None


def unb64(v):
    if not v or len(v) % 4:
        return None
    try:
        return base64.b64decode(v, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def user_ses(w):
    """A new session of users row w, its data holding the name shown in the header."""
    name = f"{w['FirstName'] or ''} {w['LastName'] or ''}".strip() or w["username"]
    return create_new_ses(w["id"], {"uname": name, "username": w["username"]})


def user_failed(id, d, now):
    """Count a failure; the fifth within fails_window locks the user for lock_time."""
    users_locked(id, lambda d: count_fail(d, now))


def count_fail(d, now):
    f = [t for t in d.get("fails", []) if now - t < fails_window]
    f.append(now)
    d["fails"] = f
    if len(f) < fails_max:
        return
    d["fails"] = []
    d["lock_until"] = now + lock_time


def users_locked(id, change):
    """change(d) on the data of users row id, in one transaction holding the row; its answer."""
    with cursor(tx=True) as cr:
        e = cr.engine
        cr.execute(f"SELECT data FROM users WHERE id = %s{e.for_update}", (id,))
        w = cr.fetchone()
        if w is None:
            return None
        d = data_dict(w[0])
        a = change(d)
        cr.execute("UPDATE users SET data = %s WHERE id = %s",
                   (json.dumps(d, ensure_ascii=False, default=str), id))
    return a


def data_dict(v):
    if not v:
        return {}
    if isinstance(v, dict):
        return v
    try:
        d = json.loads(v)
    except ValueError:
        return {}
    if not isinstance(d, dict):
        return {}
    return d


def user_add(u, p, roles=[], first="", last=""):
    """A new active user; {"status":1,"id":..} or {"status":0,"err":..}."""
    if user_find(u):
        return {"status": 0, "err": f"user {u} exists"}
    s = {"username": u, "sis": generate_password_hash(p), "Roles": list(roles),
         "FirstName": first, "LastName": last, "is_active": 1}
    return insert_to_sql({"table": "users", "set": s, "data": {}})


def user_passwd(u, p):
    """A new password (and no lock) for user u."""
    w = user_find(u)
    if not w:
        return {"status": 0, "err": f"no user {u}"}
    t = insert_to_sql({"table": "users", "id": w["id"], "set": {"sis": generate_password_hash(p)}})
    add_to_data("users", w["id"], {"fails": "!del", "lock_until": "!del"})
    return t


def user_off(u):
    """is_active = 0 for user u, and its sessions end."""
    w = user_find(u)
    if not w:
        return {"status": 0, "err": f"no user {u}"}
    run_sql("UPDATE ses SET is_active = 0 WHERE user_id = %s", (w["id"],))
    return insert_to_sql({"table": "users", "id": w["id"], "set": {"is_active": 0}})


def user_roles(w):
    """The Roles of a users row as a list."""
    r = w["Roles"] or "[]"
    if isinstance(r, str):
        try:
            r = json.loads(r)
        except ValueError:
            return []
    if not isinstance(r, list):
        return []
    return r


def user_mfa_on(u):
    """Enrol user u in TOTP: a new secret in data["mfa"]; returns the otpauth URI or ""."""
    w = user_find(u)
    if not w:
        return ""
    k = totp_new()
    add_to_data("users", w["id"], "mfa", {"key": k, "on": 1})
    return totp_uri(k, u)


def user_mfa_pre(id):
    """A one-time token for the MFA step of user id, valid pre_time seconds."""
    pre = secrets.token_urlsafe(32)
    h = hashlib.sha256(pre.encode()).hexdigest()
    add_to_data("users", id, {"mfa_pre": h, "mfa_until": time.time() + pre_time, "mfa_fails": 0})
    return pre


def user_mfa_check(pre, code):
    """{"ok":1,"user":row} when pre is a live MFA step and code its user's TOTP code, else {"ok":0}.

    A code already used (its time step no later than "mfa_last") is refused.
    """
    if not isinstance(pre, str) or not pre:
        return {"ok": 0}
    h = hashlib.sha256(pre.encode()).hexdigest()
    w = find_rows({"table": "users", "what": what, "is_active": 1,
                     "where": {"mfa_pre": ("=", h, "data")}})
    if not w:
        return {"ok": 0}
    if not users_locked(w["id"], lambda d: mfa_step(d, h, code)):
        return {"ok": 0}
    return {"ok": 1, "user": w}


def mfa_step(d, h, code):
    """1 when code is right for the live step h of data d, else 0; d is changed to match."""
    if d.get("mfa_pre") != h or d.get("mfa_until", 0) < time.time():
        return 0
    m = d.get("mfa")
    if not isinstance(m, dict) or not m.get("on"):
        return 0
    n = totp_step(m["key"], code)
    if n and n <= d.get("mfa_last", 0):
        n = 0
    if not n:
        d["mfa_fails"] = d.get("mfa_fails", 0) + 1
        if d["mfa_fails"] < fails_max:
            return 0
        d.pop("mfa_pre", None)
        d.pop("mfa_until", None)
        return 0
    d["mfa_last"] = n
    for k in ("mfa_pre", "mfa_until", "mfa_fails"):
        d.pop(k, None)
    return 1


def first_admin():
    """On an empty users table: user admin with a random password; returns it, else ""."""
    if count_in_sql({"table": "users"})[0]:
        return ""
    p = secrets.token_urlsafe(12)
    t = user_add("admin", p, ["admin"], "Admin", "")
    if not t["status"]:
        return ""
    return p
