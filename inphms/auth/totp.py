"""One-time codes of RFC 6238 (TOTP), with the standard library only.

A code is the HMAC-SHA1 of the 30-second time step, truncated to 6 digits
(RFC 4226 section 5.3).  A code is accepted for the current step and the
one before and after it, for clocks that drift a little.  A code is six
ASCII digits and nothing else: other digits (Arabic-Indic, full-width) pass
``str.isdigit()`` but are a wrong code.  ``matching_step`` says which step
a code belongs to, so that the caller can refuse a code it has already
taken (``inphms.auth.mfa``).
"""
import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
import urllib.parse

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = (-1, 0, 1)
SECRET_BYTES = 20
CODE_RE = re.compile(r"[0-9]{6}")


def code_at(secret, when=None, digits=DIGITS, algorithm="sha1"):
    """The code of the base32 ``secret`` at unix time ``when`` (now when None)."""
    if when is None:
        when = time.time()
    raw = base64.b32decode(padded(secret), casefold=True)
    return hotp(raw, int(when) // STEP_SECONDS, digits, algorithm)


def hotp(raw, counter, digits=DIGITS, algorithm="sha1"):
    """RFC 4226: the counter's HMAC, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(raw, struct.pack(">Q", counter), getattr(hashlib, algorithm)).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def padded(secret):
    text = secret.replace(" ", "").upper()
    return text + "=" * (-len(text) % 8)


def new_secret():
    """A new random secret: 20 bytes, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def provisioning_uri(secret, user, issuer="inphms"):
    """The otpauth:// URI an authenticator app reads (often shown as a QR code)."""
    label = urllib.parse.quote(f"{issuer}:{user}")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS,
                                    "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


def matching_step(secret, code, when=None):
    """The time step whose code ``code`` is (the current one or one next to it), else 0."""
    if when is None:
        when = time.time()
    if not isinstance(code, (str, int)) or isinstance(code, bool):
        return 0
    code = str(code).strip()
    if not CODE_RE.fullmatch(code):
        return 0
    for drift in DRIFT_STEPS:
        moment = when + drift * STEP_SECONDS
        if hmac.compare_digest(code_at(secret, moment), code):
            return int(moment) // STEP_SECONDS
    return 0
