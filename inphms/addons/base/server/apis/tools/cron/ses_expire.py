"""ses_expire: sessions idle longer than ses_ttl end (is_active = 0).

A request on an idle session ends it too (inphms.auth.sessions); this job
ends the ones nobody comes back to, so `ses` holds only live sessions and the
archive job can move the ended ones to ses_arc.
"""
from datetime import timedelta

from inphms.auth import sessions

every = 300


def ses_expire(data):
    ttl = data["config"]["ses_ttl"]
    if not ttl:
        return "ses_ttl is 0: sessions never expire"
    old = data["now"] - timedelta(seconds=ttl)
    # one statement: every idle session at once, atomically
    n = sessions.end_idle(old)
    return f"{n} idle sessions ended"
