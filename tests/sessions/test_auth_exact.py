"""The auth checks, each exact, on both engines (in this process, on the tools directly).

Every test here was written against a way the check could be wrong and
still pass the other tests: a role matched as a substring, the stored hash
taken as a password, old failures counted, an expired lock kept, digits
that are not ASCII, a TOTP code used twice, failures counted by a
read-then-write that loses some when they come at once, and a name or token
pattern that lets a trailing newline through.
"""
import threading
import time

import pytest

from inphms.auth import sessions, tokens
from inphms.sql import SqlError, build
from tests.support.sql_fixtures import blank, db  # noqa: F401  (fixtures: both engines)
from tools import db_users
from tools.db_ses import is_ses_role
from tools.db_users import (get_data, user_add, user_find, user_login, user_mfa_check,
                            user_mfa_on, user_mfa_pre, user_ses)
from tools.kictotp import totp, totp_check
from tools.sql import add_to_data, find_in_sql, kic_sql


def new_user(name, roles=(), password="right-pw-1"):
    assert user_add(name, password, list(roles))["status"] == 1
    return user_find(name)


def test_a_role_that_contains_admin_is_not_admin(db):
    sysadmin = new_user("sa", ["sysadmin"])
    admin = new_user("ad", ["admin"])
    assert is_ses_role(user_ses(admin), "admin") == 1
    ses = user_ses(sysadmin)
    assert is_ses_role(ses, "admin") == 0
    # Roles holding one string instead of a list: "admin" is in "sysadmin" as text
    kic_sql("UPDATE users SET Roles = %s WHERE id = %s", ('"sysadmin"', sysadmin["id"]))
    assert is_ses_role(ses, "admin") == 0
    assert db_users.user_roles(user_find("sa")) == []


def test_the_stored_hash_is_not_a_password(db):
    w = new_user("hashy")
    assert w["sis"] and user_login("hashy", w["sis"])["ok"] == 0
    assert user_login("hashy", "right-pw-1")["ok"] == 1


def test_an_empty_sis_lets_no_password_in_and_each_try_is_a_failure(db):
    w = new_user("nosis")
    kic_sql("UPDATE users SET sis = %s WHERE id = %s", ("", w["id"]))
    for password in ("", "x", None):
        assert user_login("nosis", password)["ok"] == 0
    assert len(get_data("users", w["id"])["fails"]) == 3


def test_failures_older_than_the_window_do_not_count(db):
    w = new_user("oldfails")
    now = time.time()
    stale = [now - db_users.fails_window - 60] * (db_users.fails_max - 1)
    add_to_data("users", w["id"], "fails", stale)
    assert user_login("oldfails", "wrong")["ok"] == 0
    d = get_data("users", w["id"])
    assert "lock_until" not in d, "four stale failures and a new one locked the user"
    assert len(d["fails"]) == 1
    assert user_login("oldfails", "right-pw-1")["ok"] == 1
    # the same four failures inside the window, and one more: locked
    add_to_data("users", w["id"], "fails", [now - 60] * (db_users.fails_max - 1))
    assert user_login("oldfails", "wrong")["ok"] == 0
    assert get_data("users", w["id"])["lock_until"] > now
    assert user_login("oldfails", "right-pw-1")["ok"] == 0


def test_an_expired_lock_lets_the_right_password_in(db):
    w = new_user("locked")
    add_to_data("users", w["id"], "lock_until", time.time() + 600)
    assert user_login("locked", "right-pw-1")["ok"] == 0
    add_to_data("users", w["id"], "lock_until", time.time() - 1)
    assert user_login("locked", "right-pw-1")["ok"] == 1
    assert "lock_until" not in get_data("users", w["id"])


def at_once(count, func):
    """Run func from ``count`` threads released together; their answers."""
    gate = threading.Barrier(count)
    out = [None] * count

    def run(i):
        gate.wait()
        out[i] = func()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_login_failures_arriving_at_once_are_all_counted(db):
    w = new_user("racer")
    n = db_users.fails_max - 1
    for _ in range(3):
        add_to_data("users", w["id"], "fails", "!del")
        assert at_once(n, lambda: user_login("racer", "wrong")["ok"]) == [0] * n
        assert len(get_data("users", w["id"])["fails"]) == n


def mfa_user(name):
    w = new_user(name)
    uri = user_mfa_on(name)
    key = uri.split("secret=")[1].split("&")[0]
    return w, key


def test_totp_takes_ascii_digits_only_and_counts_the_rest_as_failures(db):
    w, key = mfa_user("digits")
    code = totp(key)
    arabic = code.translate(str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664"
                                                       "\u0665\u0666\u0667\u0668\u0669"))
    fullwidth = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert arabic.isdigit() and totp_check(key, arabic) == 0 and totp_check(key, fullwidth) == 0
    pre = user_mfa_pre(w["id"])
    for bad in (arabic, fullwidth, code + "\u0660", ["123456"], {"c": 1}, 123456.0, True):
        assert user_mfa_check(pre, bad) == {"ok": 0}
    assert get_data("users", w["id"])["mfa_fails"] == db_users.fails_max
    assert user_mfa_check(pre, code) == {"ok": 0}, "the step ends after fails_max failures"


def test_a_totp_code_is_taken_once(db):
    w, key = mfa_user("replay")
    code = totp(key)
    first = user_mfa_check(user_mfa_pre(w["id"]), code)
    assert first["ok"] == 1
    again = user_mfa_check(user_mfa_pre(w["id"]), code)
    assert again == {"ok": 0}, "the same code let a second login in"
    # an older code of the window is refused too once a newer one was used
    older = user_mfa_check(user_mfa_pre(w["id"]), totp(key, time.time() - 30))
    assert older == {"ok": 0}


def test_mfa_failures_arriving_at_once_are_all_counted(db):
    w, key = mfa_user("mfarace")
    n = db_users.fails_max - 1
    wrong = "000000" if totp(key) != "000000" else "111111"
    for _ in range(3):
        pre = user_mfa_pre(w["id"])
        assert at_once(n, lambda: user_mfa_check(pre, wrong)["ok"]) == [0] * n
        assert get_data("users", w["id"])["mfa_fails"] == n


@pytest.mark.parametrize("name", ["id\n", "u.id\n", "username\n"])
def test_a_name_with_a_trailing_newline_is_refused_before_any_statement(db, name):
    with pytest.raises(SqlError):
        build.check(name)
    with pytest.raises(SqlError):
        find_in_sql({"table": "users", "fld": name, "val": 1})
    with pytest.raises(SqlError):
        find_in_sql({"table": "users", "where": {name: 1}})


def test_a_token_followed_by_a_newline_is_no_session(db):
    ses = user_ses(new_user("nl"))
    assert sessions.load(ses) is not None
    assert not tokens.valid_session_token(ses + "\n")
    assert sessions.load(ses + "\n") is None
