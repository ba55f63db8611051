"""The Flyton tools over inphms.auth answer in Flyton's shapes, on both engines.

tools.db_users, tools.db_ses and tools.kictotp are a layer over the
runtime's rules; what they hand to addon code (a write's dict with
``results``, ``status``, ``ver`` and ``id``, ``False`` for no row, 0/1 for
a condition, ``""`` for no URI) stays what it was.
"""
from tests.support.sql_fixtures import blank, db  # noqa: F401  (fixtures: both engines)
from tools.db_ses import create_new_ses, end_ses, is_ses_role, ses_user
from tools.db_users import (first_admin, user_add, user_find, user_login, user_mfa_check,
                            user_mfa_on, user_off, user_passwd, user_roles, user_ses)
from tools.kictotp import totp, totp_check, totp_step
from tools.sql import sql_v


def test_db_users_answers(db):
    t = user_add("dana", "pw-dana-1", ["admin", "owner"], "Dana", "Levi")
    assert t == {"results": [], "status": True, "ver": sql_v, "id": t["id"]} and t["id"]
    assert user_add("dana", "other") == {"status": 0, "err": "user dana exists"}
    w = user_find("dana")
    assert (w["id"], w["username"], w["FirstName"], w["LastName"]) == (t["id"], "dana", "Dana", "Levi")
    assert w[1] == "dana" and user_roles(w) == ["admin", "owner"]
    assert user_find("nobody") is False and user_find("") is False and user_find(None) is False
    assert user_login("dana", "wrong") == {"ok": 0}
    ok = user_login("dana", "pw-dana-1")
    assert ok["ok"] == 1 and ok["user"]["id"] == t["id"]
    assert user_passwd("dana", "pw-dana-2") == {"results": [], "status": True, "ver": sql_v, "id": t["id"]}
    assert user_passwd("nobody", "x") == {"status": 0, "err": "no user nobody"}
    assert user_mfa_on("nobody") == "" and user_mfa_on("dana").startswith("otpauth://totp/inphms%3Adana?")
    assert user_mfa_check(None, "123456") == {"ok": 0} and user_mfa_check("made-up", "123456") == {"ok": 0}
    assert first_admin() == ""              # the table is not empty
    ses = user_ses(user_find("dana"))
    assert len(ses) == 84 and is_ses_role(ses, "owner") == 1 and is_ses_role(ses, "own") == 0
    assert user_off("dana") == {"results": [], "status": True, "ver": sql_v, "id": t["id"]}
    assert user_off("nobody") == {"status": 0, "err": "no user nobody"}
    assert user_login("dana", "pw-dana-2") == {"ok": 0} and ses_user(ses) is False


def test_db_ses_answers(db):
    w = user_find("x") or user_find(None)
    assert w is False
    t = user_add("eli", "pw-eli-1", [])
    ses = create_new_ses(t["id"], {"uname": "Eli"})
    row = ses_user(ses)
    assert (row["id"], row["username"], row[0]) == (t["id"], "eli", t["id"]) and row["Roles"] is not None
    assert end_ses("bad") == {"status": 0, "err": "bad session"}
    assert end_ses(ses) == {"results": [], "status": True, "ver": sql_v, "id": ses}
    assert ses_user(ses) is False and ses_user("bad") is False and is_ses_role(ses, "admin") == 0


def test_kictotp_keeps_flyton_names_and_arguments():
    key = "JBSWY3DPEHPK3PXP"
    code = totp(key, t=1_700_000_000)
    assert totp(key, 1_700_000_000, 6, "sha1") == code and len(code) == 6
    assert totp_check(key, code, t=1_700_000_000) == 1 and totp_check(key, code, 1_700_000_100) == 0
    assert totp_step(key, code, t=1_700_000_000) == 1_700_000_000 // 30
