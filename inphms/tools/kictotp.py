"""kictotp: one-time codes of RFC 6238 (TOTP), Flyton's names.

    from tools.kictotp import *

    k = totp_new()                                   # a new base32 secret
    uri = totp_uri(k, "dana", "inphms")              # for the authenticator app
    if totp_check(k, code):
        ...

The codes and their rules (6 ASCII digits, the step before and after
accepted) are inphms.auth.totp's; these are its names for addon code.
totp_step() says which step a code belongs to, so the caller can refuse a
code it has seen (the login's MFA step does: inphms.auth.mfa).
"""
from inphms.auth import totp as codes

__all__ = ["totp", "totp_new", "totp_uri", "totp_check", "totp_step"]

step = codes.STEP_SECONDS
digits = codes.DIGITS


def totp(key, t=None, n=digits, algo="sha1"):
    """The code of base32 secret `key` at unix time `t` (now when None)."""
    return codes.code_at(key, t, n, algo)


def totp_new():
    """A new random secret: 20 bytes, base32 without padding (32 characters)."""
    return codes.new_secret()


def totp_uri(key, user, issuer="inphms"):
    """The otpauth:// URI an authenticator app reads (often shown as a QR code)."""
    return codes.provisioning_uri(key, user, issuer)


def totp_check(key, code, t=None):
    """1 when `code` is the code of the current step or of the one next to it."""
    if not codes.matching_step(key, code, t):
        return 0
    return 1


def totp_step(key, code, t=None):
    """The time step whose code `code` is (the current one or next to it), else 0."""
    return codes.matching_step(key, code, t)
