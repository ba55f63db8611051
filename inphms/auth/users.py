"""The ``users`` table: login, the operator's actions, MFA, the first admin.

``login`` applies every rule of a password login: an unknown, switched-off
or locked user and a wrong password are all refused the same way and in
about the same time (``passwords``), and a wrong password is counted
(``lockout``).  Changes to a user's ``data`` that read it first (a failure,
an MFA step) run in one transaction holding the row (``change_data``), so
requests arriving at once never lose one another's change.

The operator's actions (``add``, ``set_password``, ``switch_off``) answer
``{"status": 1, "id": ...}`` or ``{"status": 0, "err": ...}`` (with
``"unknown": 1`` when the database may have applied the write all the
same); the CLI prints them and the Flyton tools pass them on.  The other
functions raise ``SqlError`` when the database fails.
"""
import json
import logging
import secrets
import time

from inphms.sql import OutcomeUnknown, SqlError, cursor

from . import lockout, mfa, passwords, sessions, tokens, totp

_logger = logging.getLogger(__name__)

COLUMNS = "id, username, FirstName, LastName, Roles, sis, is_active, data"
FIND = f"SELECT {COLUMNS} FROM users WHERE username = %s LIMIT 1"
FIRST_ADMIN_PASSWORD_BYTES = 12


def find(username):
    """The users row of ``username`` (active or not), or None."""
    if not isinstance(username, str) or not username:
        return None
    with cursor() as cr:
        cr.execute(FIND, (username,))
        return cr.fetchone()


def count():
    """How many users there are (switched-off ones too)."""
    with cursor() as cr:
        cr.execute("SELECT COUNT(*) FROM users")
        return int(cr.fetchone()[0])


def every_user(batch=1000):
    """Every users row in id order, as dicts, read ``batch`` rows at a time (keyset pages)."""
    after = None
    while True:
        with cursor() as cr:
            if after is None:
                cr.execute(f"SELECT {COLUMNS} FROM users ORDER BY id LIMIT %s", (batch,))
            else:
                cr.execute(f"SELECT {COLUMNS} FROM users WHERE id > %s ORDER BY id LIMIT %s",
                           (after, batch))
            rows = cr.fetchall()
        for row in rows:
            yield row.todict()
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def data_of(row_or_text):
    """The ``data`` JSON of a user as a dict ({} when it is empty or not an object)."""
    value = row_or_text
    if not value:
        return {}
    if isinstance(value, dict):
        return value
    try:
        value = json.loads(value)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return value


def read_data(user_id):
    with cursor() as cr:
        cr.execute("SELECT data FROM users WHERE id = %s", (user_id,))
        row = cr.fetchone()
    if row is None:
        return {}
    return data_of(row[0])


def change_data(user_id, change):
    """``change(data)`` on the data of user ``user_id``, in one transaction holding the row; its answer.

    None (and nothing written) when there is no such user.
    """
    with cursor(tx=True) as cr:
        eng = cr.engine
        cr.execute(f"SELECT data FROM users WHERE id = %s{eng.for_update}", (user_id,))
        row = cr.fetchone()
        if row is None:
            return None
        data = data_of(row[0])
        answer = change(data)
        cr.execute("UPDATE users SET data = %s WHERE id = %s",
                   (json.dumps(data, ensure_ascii=False, default=str), user_id))
    return answer


def login(username, password):
    """The users row when the password is right for an active user that is not locked, else None."""
    password = str(password or "")
    row = find(username)
    if row is None or not row["is_active"]:
        passwords.spend_check_time(password)
        return None
    now = time.time()
    data = read_data(row["id"])
    if lockout.is_locked(data, now):
        passwords.spend_check_time(password)
        return None
    # an empty sis is checked too: it is refused in the time a real check takes
    verdict = passwords.check(row["sis"] or "", password)
    if not verdict:
        change_data(row["id"], lambda d: lockout.count_failure(d, now))
        return None
    if verdict.new_hash:
        store_hash(row["id"], verdict.new_hash)
        _logger.info("user %s: the base64 sis of Flyton became a password hash at this login",
                     row["username"])
    if lockout.has_marks(data):
        change_data(row["id"], lockout.clear)
    return row


def store_hash(user_id, new_hash):
    with cursor() as cr:
        cr.execute("UPDATE users SET sis = %s WHERE id = %s", (new_hash, user_id))
        return cr.rowcount > 0


def display_name(row):
    """The name a page header shows: first and last name, else the user name."""
    name = f"{row['FirstName'] or ''} {row['LastName'] or ''}".strip()
    return name or row["username"]


def open_session(row):
    """A new session of users row ``row``; its token."""
    return sessions.create(row["id"], {"uname": display_name(row), "username": row["username"]})


def needs_code(row):
    """True when the user of ``row`` logs in with a TOTP code after the password."""
    return mfa.is_on(read_data(row["id"]))


def begin_code_step(user_id):
    """A new step token for the MFA step of user ``user_id`` (only its digest is stored)."""
    pre = tokens.new_step_token()
    marks = mfa.step_marks(tokens.digest(pre))
    change_data(user_id, lambda d: d.update(marks))
    return pre


def finish_code_step(pre, code):
    """The users row when ``pre`` is a live MFA step and ``code`` its user's code (taken once), else None."""
    if not isinstance(pre, str) or not pre:
        return None
    pre_digest = tokens.digest(pre)
    with cursor() as cr:
        key = cr.engine.json_scalar("data", "text")
        cr.execute(f"SELECT {COLUMNS} FROM users WHERE {key} = %s AND is_active = 1 LIMIT 1",
                   ("$.mfa_pre", pre_digest))
        row = cr.fetchone()
    if row is None:
        return None
    if not change_data(row["id"], lambda d: mfa.take_code(d, pre_digest, code)):
        return None
    return row


def enrol_mfa(username):
    """Turn on TOTP for ``username`` with a new secret; the otpauth URI, or "" when there is no such user."""
    row = find(username)
    if row is None:
        return ""
    secret = totp.new_secret()
    change_data(row["id"], lambda d: d.update(mfa=mfa.enrolment(secret)))
    return totp.provisioning_uri(secret, username)


def write_answer(write):
    """The operator's answer of ``write()`` (which gives the row id, or an answer dict)."""
    try:
        answer = write()
    except OutcomeUnknown as exc:
        return {"status": 0, "err": str(exc), "unknown": 1}
    except SqlError as exc:
        return {"status": 0, "err": str(exc)}
    if isinstance(answer, dict):
        return answer
    return {"status": 1, "id": answer}


def add(username, password, roles=(), first="", last=""):
    """A new active user; ``{"status": 1, "id": ...}``, or status 0 with ``err`` (the name is taken...)."""
    def write():
        if find(username) is not None:
            return {"status": 0, "err": f"user {username} exists"}
        with cursor() as cr:
            cr.execute("INSERT INTO users (username, sis, Roles, FirstName, LastName, is_active, data) "
                       "VALUES (%s, %s, %s, %s, %s, 1, %s)",
                       (username, passwords.hash_password(password),
                        json.dumps(list(roles), ensure_ascii=False), first, last, "{}"))
            return cr.lastrowid
    return write_answer(write)


def set_password(username, password):
    """A new password for ``username``; its failures and lock are cleared with it."""
    def write():
        row = find(username)
        if row is None:
            return {"status": 0, "err": f"no user {username}"}
        store_hash(row["id"], passwords.hash_password(password))
        change_data(row["id"], lockout.clear)
        return row["id"]
    return write_answer(write)


def switch_off(username):
    """is_active = 0 for ``username``, and every session of it ends."""
    def write():
        row = find(username)
        if row is None:
            return {"status": 0, "err": f"no user {username}"}
        sessions.end_of_user(row["id"])
        with cursor() as cr:
            cr.execute("UPDATE users SET is_active = 0 WHERE id = %s", (row["id"],))
        return row["id"]
    return write_answer(write)


def first_admin():
    """On an empty users table: user admin with a random password; the password, else ""."""
    if count():
        return ""
    password = secrets.token_urlsafe(FIRST_ADMIN_PASSWORD_BYTES)
    if not add("admin", password, ["admin"], "Admin", "")["status"]:
        return ""
    return password
