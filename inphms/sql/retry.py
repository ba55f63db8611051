"""Writes that lost a certification conflict (or a deadlock), run again when that is safe.

On a Galera cluster two nodes may commit writes to the same row at the same
time; the one certified second is rolled back and its client gets MariaDB
error 1213 (the code of an InnoDB deadlock, which means the same: nothing
of the transaction was applied).  Running it again is right when the write
stands alone and reads what it needs itself: a single autocommit statement
(``Cursor.execute`` outside a transaction), ``add_to_data`` / ``add2ses``
(their read-and-merge in a transaction), a cron claim (one UPDATE).  A
caller's own ``cursor(tx=True)`` block is not run again (its code may have
acted on what it read): its ``SqlError`` says the transaction was rolled
back and can be run again.

``attempts(call)`` runs ``call`` up to ATTEMPTS times, waiting a few
milliseconds more (with jitter) after each conflict.
"""
import logging
import random
import time

from .errors import SqlError
from .thread_lease import local

_logger = logging.getLogger(__name__)

CONFLICT_CODES = {1213}     # ER_LOCK_DEADLOCK: deadlock, or Galera certification failure
ATTEMPTS = 6
FIRST_WAIT = 0.01           # seconds before the second attempt; doubled after each
CONFLICT_HINT = ("the transaction lost a write conflict (Galera certification or deadlock) "
                 "and was rolled back, nothing of it applied; it is safe to run it again")


def is_conflict(exc):
    """True when ``exc`` (or what it was raised from) is a conflict error of the database."""
    seen = 0
    while exc is not None and seen < 5:
        args = getattr(exc, "args", ())
        if args and isinstance(args[0], int) and args[0] in CONFLICT_CODES:
            return True
        exc, seen = exc.__cause__, seen + 1
    return False


def pause(attempt):
    time.sleep(FIRST_WAIT * (2 ** attempt) * (0.5 + random.random()))


def attempts(call, what="a write", errors=(SqlError,), tried=0):
    """``call()``, run again after a conflict, up to ATTEMPTS times in all.

    ``tried``: the attempts already made (and lost) by the caller.  Inside
    a caller's transaction it runs once: the conflict rolled back the
    caller's work too, which only the caller can run again.
    """
    lease = getattr(local, "lease", None)
    if lease is not None and lease.in_tx:
        return call()
    for attempt in range(tried, ATTEMPTS):
        if attempt:
            pause(attempt - 1)
        try:
            return call()
        except errors as exc:
            if not is_conflict(exc) or attempt == ATTEMPTS - 1:
                raise
            _logger.info("write conflict on %s (attempt %d of %d): running it again",
                         what, attempt + 1, ATTEMPTS)
