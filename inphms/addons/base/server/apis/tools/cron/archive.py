"""archive: rows done with for archive_days move to their _arc tables.

ses (ended sessions), logs, and every table an addon names in its manifest
key 'archive' (see tools/db_arc.py and docs/cron.md).  Each batch is one
transaction, so a crash in the middle loses no row and copies none twice.
"""
from datetime import timedelta

from tools.db_arc import *

every = 3600


def archive(data):
    days = data["config"]["archive_days"]
    if not days:
        return "archive_days is 0: archiving is off"
    old = data["now"] - timedelta(days=days)
    tabs, err = arc_list(data["addons"])
    done = []
    for tab in tabs:
        try:
            n = arc_table(tab, tabs[tab], old, data)
        except (ArcError, SqlError) as e:
            err.append(f"{tab}: {e}")
            continue
        done.append(f"{tab} {n}")
    if err:
        raise ArcError("; ".join(err))
    return "rows archived: " + ", ".join(done)
