"""Signals as a queue: handlers only record, the main loop acts.

A Python signal handler runs between two bytecodes of the main thread, maybe
while that thread holds a lock of the logging module or of a queue; taking
the same lock inside the handler would deadlock.  So the handler only appends
the signal number to a deque (atomic) and writes a byte to a pipe that wakes
the main loop; logging, reloading and stopping happen in ``wait()``'s caller.
"""
import collections
import contextlib
import os
import select
import signal

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class SignalQueue:
    def __init__(self):
        self.pending = collections.deque()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def install(self, signals=HANDLED):
        for signum in signals:
            signal.signal(signum, self.handler)
        # a phoenix re-exec starts with these blocked (see block_for_exec):
        # whatever arrived meanwhile is delivered now, to the handler
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)

    def handler(self, signum, frame):
        self.pending.append(signum)
        try:
            os.write(self.wake_w, b"s")
        except BlockingIOError:
            pass    # the pipe is full, so the loop is awake already

    def wait(self, timeout):
        """The next signal received, or None after ``timeout`` seconds."""
        if not self.pending:
            try:
                select.select([self.wake_r], [], [], timeout)
            except InterruptedError:
                pass
        try:
            os.read(self.wake_r, 4096)
        except BlockingIOError:
            pass
        if self.pending:
            return self.pending.popleft()
        return None

    @staticmethod
    def block_for_exec(signals=HANDLED):
        """Block the signals across an exec: the new image would die of a SIGHUP
        sent before it installs its handlers; blocked, it stays pending instead."""
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)

    def close(self):
        os.close(self.wake_r)
        os.close(self.wake_w)


@contextlib.contextmanager
def kept_from_new_threads(signals=HANDLED):
    """Threads started in this block never take these signals; the main thread does.

    A new thread inherits the signal mask of the thread that starts it (and
    passes it on to the threads it starts).  The kernel hands a signal sent
    to the process to any thread that does not block it; Python runs the
    handler in the main thread only when that thread next runs Python code.
    A signal taken by a worker thread while the main thread blocks it (the
    re-exec of a reload) was lost, and one taken while the main thread sleeps
    in ``wait()`` was acted on late.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
