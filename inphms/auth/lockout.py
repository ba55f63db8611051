"""Lockout: five failed logins within 15 minutes lock the user for 15 minutes.

The failures (``fails``, unix times) and the lock (``lock_until``, a unix
time) are kept in the user's ``data`` JSON, where an operator can see them;
setting a new password clears both.  These functions only read and change
that dict: ``inphms.auth.users`` calls them inside one transaction holding
the user's row, so failures arriving at once are all counted.  Failures
older than the window do not count, and a lock that has run out lets the
right password in.
"""
FAILS_MAX = 5
FAILS_WINDOW = 15 * 60
LOCK_TIME = 15 * 60


def is_locked(data, now):
    return data.get("lock_until", 0) > now


def count_failure(data, now):
    """Add a failure at ``now``; the FAILS_MAX-th within the window locks the user."""
    fails = [t for t in data.get("fails", []) if now - t < FAILS_WINDOW]
    fails.append(now)
    data["fails"] = fails
    if len(fails) < FAILS_MAX:
        return
    data["fails"] = []
    data["lock_until"] = now + LOCK_TIME


def has_marks(data):
    """True when data holds failures or a lock to clear."""
    return bool(data.get("fails") or data.get("lock_until"))


def clear(data):
    data.pop("fails", None)
    data.pop("lock_until", None)
