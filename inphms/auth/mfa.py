"""The second step of a login with MFA, as changes to the user's ``data``.

After the right password, a user with ``data["mfa"]["on"]`` gets a step
token (``pre``) instead of a session: single-use, alive PRE_TIME seconds,
stored only as its digest (``mfa_pre``, ``mfa_until``).  The step dies after
FAILS_MAX wrong codes (``mfa_fails``).  The step of the last code taken is
kept (``mfa_last``): a code of that step or an earlier one is refused, so
each code is taken once.  ``inphms.auth.users`` runs ``take_code`` inside
one transaction holding the user's row, so wrong codes arriving at once
are all counted.
"""
import time

from . import totp
from .lockout import FAILS_MAX

PRE_TIME = 5 * 60
STEP_KEYS = ("mfa_pre", "mfa_until", "mfa_fails")


def is_on(data):
    """True when the user of ``data`` logs in with a code."""
    settings = data.get("mfa", {})
    return isinstance(settings, dict) and bool(settings.get("on"))


def enrolment(secret):
    """The ``data["mfa"]`` value of a user enrolled with ``secret``."""
    return {"key": secret, "on": 1}


def step_marks(pre_digest, now=None):
    """The ``data`` keys of a new step whose token has ``pre_digest``."""
    if now is None:
        now = time.time()
    return {"mfa_pre": pre_digest, "mfa_until": now + PRE_TIME, "mfa_fails": 0}


def take_code(data, pre_digest, code, now=None):
    """True when ``code`` is right for the live step ``pre_digest`` of ``data``; ``data`` is changed to match."""
    if now is None:
        now = time.time()
    if data.get("mfa_pre") != pre_digest or data.get("mfa_until", 0) < now:
        return False
    settings = data.get("mfa")
    if not isinstance(settings, dict) or not settings.get("on"):
        return False
    step = totp.matching_step(settings["key"], code, now)
    if step and step <= data.get("mfa_last", 0):
        step = 0
    if not step:
        data["mfa_fails"] = data.get("mfa_fails", 0) + 1
        if data["mfa_fails"] >= FAILS_MAX:
            data.pop("mfa_pre", None)
            data.pop("mfa_until", None)
        return False
    data["mfa_last"] = step
    for key in STEP_KEYS:
        data.pop(key, None)
    return True
