"""How prefork workers share new connections: the worker with the fewest takes it.

The workers accept from one listening socket.  The kernel wakes every worker
waiting on it and the first to call ``accept()`` wins, so whichever worker
happens to be back in its accept loop first takes a whole burst of new
connections while the others get few: a client opening 16 or 64 keep-alive
connections at once (a proxy's pool, a load test) could leave one worker
serving nearly all of them and the other idle, its core unused.

The master keeps a ``Board`` in shared memory, one slot per HTTP worker,
where each worker writes how many connections it holds.  A worker that holds
more than another live worker waits a moment before it accepts, so the
quieter worker takes the connection.  The wait is short and bounded
(``YIELD_MAX``): a worker that is stopped, stuck or too busy to accept only
delays a connection, never refuses it.
"""
import mmap
import select
import struct
import time

SLOT = struct.Struct("=i")
FREE = -1               # no worker, or one that no longer accepts
YIELD_STEP = 0.001      # how often a yielding worker looks whether the connection was taken
YIELD_MAX = 0.005       # how long it yields before it accepts the connection itself

# the board this process writes to and its slot (a prefork worker), set after the fork
current = None


class Board:
    """Open connections per worker, in memory the master's children share."""

    def __init__(self, slots):
        self.slots = slots
        # anonymous and shared: the workers forked after this see the same pages
        self.memory = mmap.mmap(-1, SLOT.size * slots)
        self.mine = None
        for slot in range(slots):
            self.write(slot, FREE)

    def write(self, slot, count):
        SLOT.pack_into(self.memory, slot * SLOT.size, count)

    def read(self, slot):
        return SLOT.unpack_from(self.memory, slot * SLOT.size)[0]

    # -- the master -------------------------------------------------------------
    def take_slot(self, used):
        """A free slot for a new worker (None when all are used), marked live with 0."""
        for slot in range(self.slots):
            if slot not in used:
                self.write(slot, 0)
                return slot
        return None

    def free_slot(self, slot):
        self.write(slot, FREE)

    # -- a worker -----------------------------------------------------------------
    def join(self, slot):
        """This process is the worker of ``slot``: it is the board it counts on."""
        global current
        self.mine = slot
        current = self

    def leave(self):
        """This worker accepts no more: the others stop yielding to it."""
        slot, self.mine = self.mine, None
        if slot is not None:
            self.write(slot, FREE)

    def count(self, connections):
        slot = self.mine
        if slot is not None:
            self.write(slot, connections)

    def quieter_elsewhere(self, connections):
        """True when another accepting worker holds fewer connections than ``connections``."""
        mine = self.mine
        if mine is None:
            return False
        for slot in range(self.slots):
            if slot != mine and 0 <= self.read(slot) < connections:
                return True
        return False


def yield_to_a_quieter_worker(board, sock, connections):
    """Before an accept: True when a quieter worker took the waiting connection.

    Waits at most YIELD_MAX, looking every YIELD_STEP whether the listening
    socket is still readable; False (accept it here) when it still is, or when
    no other worker is quieter.
    """
    if board is None or not board.quieter_elsewhere(connections):
        return False
    deadline = time.monotonic() + YIELD_MAX
    while time.monotonic() < deadline:
        time.sleep(YIELD_STEP)
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return True
    return False
