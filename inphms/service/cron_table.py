"""The ``cron`` table: registering jobs, claiming one, recording its result.

One row per job (base addon ``tables.sql``).  Every time comes from the
database's clock (UTC on both engines), never from the server's, so servers
whose clocks disagree still agree on what is due.  Timestamps have whole
seconds.

The claim is one atomic ``UPDATE`` of the job's row, guarded by its
conditions (active, due, lease free or expired); the server whose UPDATE
matched the row (rowcount 1) holds the job until ``lease_until`` and is the
only one to run it.  A holder that dies keeps the lease until it expires;
then any server may claim the job again.  The result clears the lease and
moves ``next_run`` to the next tick of the job's schedule after now, so
missed ticks are skipped rather than run one after the other.
"""
import datetime
import logging
import math

from inphms.sql import cursor

_logger = logging.getLogger(__name__)

ONE_SECOND = datetime.timedelta(seconds=1)
ERROR_SIZE = 2000       # last_error keeps the end of a long message

COLUMNS = ("name, every, is_active, next_run, last_run, last_status, last_error, "
           "lease_until, lease_owner")


class Claim:
    """A job this server holds: until when, and which tick it runs."""

    def __init__(self, name, owner, due, now, until):
        self.name = name
        self.owner = owner
        self.due = due          # the tick being run (next_run when claimed)
        self.now = now          # the database's time at the claim
        self.until = until      # lease_until


def as_time(value):
    """A timestamp column or CURRENT_TIMESTAMP as a naive UTC datetime (None stays None)."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def db_now(cr):
    cr.execute("SELECT CURRENT_TIMESTAMP")
    return as_time(cr.fetchone()[0]).replace(microsecond=0)


def next_tick(due, every, now):
    """The first tick ``due + k * every`` (k >= 1) after ``now``, and how many were skipped."""
    step = datetime.timedelta(seconds=every)
    ticks = 1
    if due + step <= now:
        ticks = math.floor((now - due) / step) + 1
    return due + ticks * step, ticks - 1


# -- registration ---------------------------------------------------------------
def register(jobs):
    """Add the rows of new jobs (due at once); take ``every`` from the code.

    An operator's ``is_active`` is never touched.  When ``every`` changes, a
    next run further away than the new interval is brought forward.
    """
    with cursor() as cr:
        now = db_now(cr)
        cr.execute("SELECT name, every, next_run FROM cron")
        have = {w[0]: w for w in cr.fetchall()}
        ignore = "INSERT IGNORE" if cr.engine.name == "mysql" else "INSERT OR IGNORE"
        for job in jobs.values():
            w = have.get(job.name)
            if w is None:
                # IGNORE: several servers starting at once may insert the same job.
                cr.execute(f"{ignore} INTO cron (name, every, next_run, is_active) "
                           "VALUES (%s, %s, %s, 1)", (job.name, job.every, now))
                _logger.info("cron job %s registered (every %ss)", job.name, job.every)
                continue
            update_every(cr, job, w, now)


def update_every(cr, job, w, now):
    every, next_run = w[1], as_time(w[2])
    if every == job.every and next_run is not None:
        return
    soonest = now + datetime.timedelta(seconds=job.every)
    if next_run is None or next_run > soonest:
        next_run = soonest
    cr.execute("UPDATE cron SET every = %s, next_run = %s WHERE name = %s",
               (job.every, next_run, job.name))
    if every != job.every:
        _logger.info("cron job %s: every changed from %ss to %ss", job.name, every, job.every)


# -- polling and claiming -------------------------------------------------------
def poll(names):
    """(names of the jobs due now, oldest first; seconds until the next may be claimable).

    Only jobs in ``names`` (the ones this process has code for) are looked at.
    The seconds are None when no active job of ``names`` has a next run.
    """
    with cursor() as cr:
        now = db_now(cr)
        cr.execute("SELECT name, next_run, lease_until FROM cron WHERE is_active = 1")
        rows = cr.fetchall()
    due, soon = [], None
    for name, next_run, lease in rows:
        at = as_time(next_run)
        if name not in names or at is None:
            continue
        lease = as_time(lease)
        if lease is not None and lease >= now:
            # a claim needs lease_until < now: free one second after it
            at = max(at, lease + ONE_SECOND)
        if at <= now:
            due.append((at, name))
            continue
        wait = (at - now).total_seconds()
        soon = wait if soon is None else min(soon, wait)
    return [name for at, name in sorted(due)], soon


def claim(name, owner, timeout, manual=False, force=False):
    """Take job ``name`` for ``timeout`` seconds; a Claim, or None when someone else has it.

    A scheduled claim needs the job active and due; a manual one (``cron
    run``) does not.  ``force`` takes the job even from a live lease.
    """
    with cursor() as cr:
        now = db_now(cr)
        until = now + datetime.timedelta(seconds=timeout)
        q = "UPDATE cron SET lease_until = %s, lease_owner = %s WHERE name = %s"
        p = [until, owner, name]
        if not manual:
            q += " AND is_active = 1 AND next_run <= %s"
            p.append(now)
        if not force:
            q += " AND (lease_until IS NULL OR lease_until < %s)"
            p.append(now)
        cr.execute(q, p)
        if cr.rowcount != 1:
            return None
        cr.execute("SELECT next_run FROM cron WHERE name = %s AND lease_owner = %s", (name, owner))
        w = cr.fetchone()
    if w is None:
        return None     # a forced run took it over in between
    due = now if manual else as_time(w[0]) or now
    return Claim(name, owner, due, now, until)


def finish(claim, status, error, every, manual=False):
    """Record the run and free the lease; False when the lease was no longer ours.

    A scheduled run moves next_run to the next tick after now; a manual run
    leaves the schedule alone.
    """
    if error and len(error) > ERROR_SIZE:
        error = "..." + error[-ERROR_SIZE:]
    with cursor() as cr:
        sets = ("last_run = %s, last_status = %s, last_error = %s, "
                "lease_until = NULL, lease_owner = NULL")
        p = [claim.now, status, error]
        if not manual:
            nxt, skipped = next_tick(claim.due, every, db_now(cr))
            if skipped:
                _logger.info("cron job %s: %d missed tick(s) skipped, next run %s UTC",
                             claim.name, skipped, nxt)
            sets = "next_run = %s, " + sets
            p.insert(0, nxt)
        cr.execute(f"UPDATE cron SET {sets} WHERE name = %s AND lease_owner = %s",
                   p + [claim.name, claim.owner])
        return cr.rowcount == 1


# -- reading ----------------------------------------------------------------
def rows():
    """(the database's time, every row of the table as a dict, by name)."""
    with cursor() as cr:
        now = db_now(cr)
        cr.execute(f"SELECT {COLUMNS} FROM cron ORDER BY name")
        names = cr.columns
        found = [dict(zip(names, w)) for w in cr.fetchall()]
    for w in found:
        for key in ("next_run", "last_run", "lease_until"):
            w[key] = as_time(w[key])
    return now, found


def lease_of(name):
    """(lease_until, lease_owner) of job ``name`` (None, None when free or unknown)."""
    with cursor() as cr:
        cr.execute("SELECT lease_until, lease_owner FROM cron WHERE name = %s", (name,))
        w = cr.fetchone()
    if w is None:
        return None, None
    return as_time(w[0]), w[1]
