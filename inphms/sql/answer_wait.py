"""When an evented worker waits for a database answer in the kernel rather than yield.

Under gevent, a greenlet whose answer is not there yet gives the hub to
the other greenlets and comes back only when the hub gets round to it.
With the database on the same cores, that gave evented prefork workers
a long tail of slow requests; waiting a little in the kernel instead
lets the machine run MariaDB and the other workers meanwhile.  That pays
only while two things hold, and this module decides both:

- the database runs on this machine (a Unix socket or a loopback
  address), so its work fills the wait;
- most of its answers come quickly.  An answer that crosses a network,
  or a slow statement, keeps the worker idle for nothing.

docs/performance.md ("Why some defaults are what they are") has the
measurements behind both.
"""
import ipaddress
import socket

# An answer is quick when it comes within this: above what a local
# MariaDB takes for a page's statements under load, below one round trip
# across a network, which would be all idle time for the worker.
QUICK_ANSWER = 0.0005
# Waiting pays while at least this share of the answers waited for are quick.
MOSTLY = 0.5
# The newest answer's weight in that share.
WEIGHT = 1 / 16
# While it does not pay, one statement in this many still waits, so that
# answers that got quick again are seen.
PROBE_EVERY = 64


def loopback(address):
    """True when the IP ``address`` is this machine's own (127.0.0.0/8, ::1, or ::ffff:127.x)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def on_this_machine(sock):
    """True when ``sock`` leads to a process on this machine."""
    if sock.family == socket.AF_UNIX:
        return True
    try:
        return loopback(sock.getpeername()[0])
    except OSError:
        return False    # no longer connected: the next statement fails anyway


class AnswerWait:
    """A process's wait for database answers: how long at most, and whether the next one is worth it.

    Whether it is comes from the share of quick answers rather than their
    average: a local database still answers the odd statement late (a
    commit that waits for the disk), which must not stop the waits that pay
    for all the others.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.quick_share = 1.0
        self.skipped = 0

    def worth_waiting(self):
        if self.quick_share >= MOSTLY:
            return True
        self.skipped += 1
        if self.skipped < PROBE_EVERY:
            return False
        self.skipped = 0
        return True

    def add(self, seconds):
        """An answer waited for took ``seconds`` (the whole wait, when it did not come)."""
        quick = 1.0 if seconds <= QUICK_ANSWER else 0.0
        self.quick_share += (quick - self.quick_share) * WEIGHT
