"""The database lease held by this thread (or greenlet), shared by ``cursor`` and ``retry``.

``cursor`` sets ``local.lease`` while a ``with cursor()`` block holds a
connection; ``retry`` reads it to run a statement only once inside the
caller's transaction.  A module of its own, so neither imports the other.
"""
import threading

local = threading.local()
