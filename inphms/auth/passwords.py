"""Passwords: kept only as ``werkzeug.security`` hashes in ``users.sis``.

A password is right when it, or the text it is the base64 of (Flyton's login
page sends ``btoa(password)``), fits the stored hash.  A row carried over
from a Flyton install keeps the password itself in base64 in ``sis``: the
password (or its base64) is accepted once, and the caller stores the new
hash ``check`` gives back, so the base64 is gone after that login.

Every refusal costs one hash check, whether or not there was a hash to
check against, so the time of an answer does not tell which users exist.
"""
import base64
import binascii
import hmac

from werkzeug.security import check_password_hash, generate_password_hash

HASH_PREFIXES = ("scrypt:", "pbkdf2:")

# checked when there is nothing to check against, so every refusal takes as long
NO_USER_HASH = generate_password_hash("no such user")


def hash_password(password):
    return generate_password_hash(password)


def spend_check_time(password):
    """One hash check that cannot succeed: a refusal takes the time of a real check."""
    check_password_hash(NO_USER_HASH, password)


class Verdict:
    """The answer of ``check``: ``ok``, and ``new_hash`` to store in place of a Flyton base64 sis."""

    def __init__(self, ok, new_hash=None):
        self.ok = ok
        self.new_hash = new_hash

    def __bool__(self):
        return self.ok


def check(stored, password):
    """A ``Verdict`` on ``password`` (a str) against the stored ``sis``."""
    if stored.startswith(HASH_PREFIXES):
        for candidate in forms(password):
            if check_password_hash(stored, candidate):
                return Verdict(True)
        return Verdict(False)
    plain = flyton_password(stored, password)
    if plain is None:
        spend_check_time(password)
        return Verdict(False)
    return Verdict(True, hash_password(plain))


def forms(password):
    """The password, and the text it is the base64 of when it is one."""
    plain = from_base64(password)
    if plain is None or plain == password:
        return [password]
    return [password, plain]


def flyton_password(stored, password):
    """The password when ``stored`` is Flyton's base64 of it and ``password`` is it or its base64."""
    plain = from_base64(stored)
    if plain is None:
        return None
    if hmac.compare_digest(stored.encode(), password.encode()):
        return plain
    if hmac.compare_digest(plain.encode(), password.encode()):
        return plain
    return None


def from_base64(value):
    """The UTF-8 text ``value`` is the strict base64 of, or None."""
    if not value or len(value) % 4:
        return None
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
