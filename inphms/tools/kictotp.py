"""kictotp: one-time codes of RFC 6238 (TOTP) with the standard library.

    from tools.kictotp import *

    k = totp_new()                                   # a new base32 secret
    uri = totp_uri(k, "dana", "inphms")              # for the authenticator app
    if totp_check(k, code):
        ...

A code is HMAC-SHA1 of the 30-second time step, truncated to 6 digits
(RFC 4226 section 5.3).  totp_check() accepts the step before and after
the current one, for clocks that drift a little.  A code is 6 ASCII digits
and nothing else (other digits, such as Arabic-Indic ones, pass isdigit()).
totp_step() says which step a code belongs to, so the caller can refuse a
code it has seen (tools.db_users keeps the last step used per user).
"""
import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
import urllib.parse

__all__ = ["totp", "totp_new", "totp_uri", "totp_check", "totp_step"]

step = 30
digits = 6
code_re = re.compile(r"[0-9]{6}")


def totp(key, t=None, n=digits, algo="sha1"):
    """The code of base32 secret `key` at unix time `t` (now when None)."""
    if t is None:
        t = time.time()
    raw = base64.b32decode(pad(key), casefold=True)
    return hotp(raw, int(t) // step, n, algo)


def hotp(raw, count, n=digits, algo="sha1"):
    """RFC 4226: the counter's HMAC, dynamically truncated to n digits."""
    mac = hmac.new(raw, struct.pack(">Q", count), getattr(hashlib, algo)).digest()
    o = mac[-1] & 0x0F
    v = struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF
    return str(v % 10 ** n).zfill(n)


def pad(key):
    k = key.replace(" ", "").upper()
    return k + "=" * (-len(k) % 8)


def totp_new():
    """A new random secret: 20 bytes, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp_uri(key, user, issuer="inphms"):
    """The otpauth:// URI an authenticator app reads (often shown as a QR code)."""
    label = urllib.parse.quote(f"{issuer}:{user}")
    q = urllib.parse.urlencode({"secret": key, "issuer": issuer, "digits": digits, "period": step})
    return f"otpauth://totp/{label}?{q}"


def totp_check(key, code, t=None):
    """1 when `code` is the code of the current step or of the one next to it."""
    if not totp_step(key, code, t):
        return 0
    return 1


def totp_step(key, code, t=None):
    """The time step whose code `code` is (the current one or next to it), else 0."""
    if t is None:
        t = time.time()
    if not isinstance(code, (str, int)) or isinstance(code, bool):
        return 0
    code = str(code).strip()
    if not code_re.fullmatch(code):
        return 0
    for d in (-1, 0, 1):
        if hmac.compare_digest(totp(key, t + d * step), code):
            return int(t + d * step) // step
    return 0
