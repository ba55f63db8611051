"""Waiting for cron ticks that are over, to count how often each one ran."""
from tests.support.wait import wait_for


def settled_ticks(read, count=3, due=0, timeout=30):
    """Rows of the first ``count`` ticks, once a later tick is booked too.

    ``read()`` returns the rows of cron_book for one job; ``due`` is the index
    of the due time in a row.  A tick is settled once the next one is booked:
    a second process running it would have booked it by then, so the rows
    returned show every run of those ticks, and a duplicate can be seen.
    """
    def ready():
        rows = read()
        ticks = sorted({row[due] for row in rows})
        if len(ticks) > count:
            settled = set(ticks[:count])
            return [row for row in rows if row[due] in settled]
    return wait_for(ready, timeout, f"{count + 1} ticks booked", step=0.2)
