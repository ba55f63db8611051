"""The pool of this process: built on first use, closed by ``close_all()``.

The pool is made from ``inphms.config.config`` (or the config given to
``configure``) the first time a cursor is asked for.  After ``close_all()``
the next cursor builds a fresh pool from the config as it is then, which is
what a reload needs.  A forked child never touches its parent's connections:
it notices the new pid and builds its own pool.
"""
import logging
import os
import threading

from inphms.config import config as process_config

from .engine import make_engine, settings
from .pool import Pool

_logger = logging.getLogger(__name__)


class State:
    lock = threading.Lock()
    pool = None
    pid = None
    values = None
    source = None


def configure(config):
    """Build the pool from ``config`` from now on; drop a pool built from other settings."""
    values = settings(config)
    with State.lock:
        State.source = config
        stale = State.pool if State.values != values else None
    if stale is not None:
        close_all()


def get_pool():
    pool = State.pool
    if pool is not None and not pool.closed and State.pid == os.getpid():
        return pool
    with State.lock:
        if State.pool is not None and not State.pool.closed and State.pid == os.getpid():
            return State.pool
        values = settings(State.source if State.source is not None else process_config)
        engine = make_engine(values)
        State.pool = Pool(engine, values["db_maxconn"])
        State.pid = os.getpid()
        State.values = values
        _logger.debug("database pool for %s, up to %d connections", engine.target(), State.pool.maxconn)
        return State.pool


def get_engine():
    """The engine object of the current pool (``.name`` is 'mysql' or 'sqlite')."""
    return get_pool().engine


def close_all():
    """Close the pool of this process; the next cursor opens a new one."""
    with State.lock:
        pool, State.pool = State.pool, None
        mine = State.pid == os.getpid()
        State.values = None
    if pool is None or not mine:
        return 0
    closed = pool.close()
    _logger.debug("database pool closed (%d idle connections)", closed)
    return closed
