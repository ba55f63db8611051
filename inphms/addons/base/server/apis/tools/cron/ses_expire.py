"""ses_expire: sessions idle longer than ses_ttl end (is_active = 0).

A request on an idle session ends it too (inphms.sessions); this job ends
the ones nobody comes back to, so `ses` holds only live sessions and the
archive job can move the ended ones to ses_arc.
"""
from datetime import timedelta

from tools.sql import *

every = 300


def ses_expire(data):
    ttl = data["config"]["ses_ttl"]
    if not ttl:
        return "ses_ttl is 0: sessions never expire"
    old = data["now"] - timedelta(seconds=ttl)
    # One statement: every idle session at once, atomically.
    w = run_sql("UPDATE ses SET is_active = 0 WHERE is_active = 1 AND updated_at < %s", (old,))
    return f"{w['row_count']} idle sessions ended"
