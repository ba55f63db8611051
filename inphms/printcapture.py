"""Flyton pages may ``print()`` their HTML: send it to the right response.

``sys.stdout`` is replaced once by a proxy.  While a request captures (see
``capture()``), whatever its thread or greenlet prints goes to that request's
own buffer; everything else goes to the real stdout.  The buffer is held in a
ContextVar, which is per thread and, under gevent, per greenlet.

``put()`` adds an object to that buffer between the printed text: Flyton's
``api_ok()`` answers there, so an API's answer keeps the order in which
it printed and answered.
"""
import contextvars
import io
import sys

current_buffer = contextvars.ContextVar("inphms_print_buffer", default=None)


class StdoutProxy(io.TextIOBase):
    def __init__(self, real):
        self.real = real

    def write(self, text):
        buffer = current_buffer.get()
        if buffer is None:
            return self.real.write(text)
        buffer.append(text)
        return len(text)

    def flush(self):
        if current_buffer.get() is None:
            self.real.flush()

    def writable(self):
        return True

    @property
    def encoding(self):
        return getattr(self.real, "encoding", "utf-8")

    def fileno(self):
        return self.real.fileno()

    def isatty(self):
        return False


def put(item):
    """Add ``item`` to the current request's buffer; 0 when nothing captures."""
    buffer = current_buffer.get()
    if buffer is None:
        return 0
    buffer.append(item)
    return 1


def text(buffer):
    """The printed text of a buffer (without what ``put()`` added)."""
    return "".join(item for item in buffer if isinstance(item, str))


def install():
    if not isinstance(sys.stdout, StdoutProxy):
        sys.stdout = StdoutProxy(sys.stdout)


class capture:
    """Collect printed text in a list while the block runs.

    A class rather than a generator-based context manager: a page runs four
    of these (header, body, footer, the page), so it is on every request.
    """

    __slots__ = ("buffer", "token")

    def __enter__(self):
        install()
        self.buffer = []
        self.token = current_buffer.set(self.buffer)
        return self.buffer

    def __exit__(self, *exc):
        current_buffer.reset(self.token)
        return False
