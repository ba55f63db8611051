"""The tokens of authentication: their shape, how they are made and kept.

A session token is the id of its ``ses`` row: 84 characters of
``[A-Za-z0-9_-]`` (``secrets.token_urlsafe(63)``, 504 random bits).  A value
of any other shape is no session, and is refused before any query; the
whole value must match (``fullmatch``: a ``$`` would also take a token
followed by a newline).  The MFA step token is shorter-lived and is stored
only as its SHA-256 digest.
"""
import hashlib
import re
import secrets

SESSION_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{84}")
SESSION_TOKEN_BYTES = 63
STEP_TOKEN_BYTES = 32


def new_session_token():
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def valid_session_token(token):
    """True when ``token`` has the shape of a session token, and may be looked up."""
    return isinstance(token, str) and bool(SESSION_TOKEN_RE.fullmatch(token))


def new_step_token():
    """A token for the MFA step of a login (only its digest is stored)."""
    return secrets.token_urlsafe(STEP_TOKEN_BYTES)


def digest(token):
    """The SHA-256 hex digest a token is stored as."""
    return hashlib.sha256(token.encode()).hexdigest()
