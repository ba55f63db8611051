"""The pools of this process: built on first use, closed by ``close_all()``.

Two pools share one engine: ``main`` (``db_maxconn`` connections) for all
work, and ``ses`` (``db_session_conns``) for the session lookup that starts
every request (``inphms.auth.sessions``), so that slow statements holding every
main connection never make a page wait for its session.

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
    pools = {}          # name -> Pool, besides ``pool`` (main)
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


def get_pool(name="main"):
    """The pool ``name`` (main, or ses for session lookups) of this process."""
    pool = State.pool
    if pool is not None and not pool.closed and State.pid == os.getpid():
        if name == "main":
            return pool
        other = State.pools.get(name)
        if other is not None:
            return other
    with State.lock:
        if State.pool is None or State.pool.closed or State.pid != os.getpid():
            values = settings(State.source if State.source is not None else process_config)
            engine = make_engine(values)
            State.pool = make_pool(engine, values, values["db_maxconn"], "main")
            State.pools = {"ses": make_pool(engine, values, values["db_session_conns"], "ses")}
            State.pid = os.getpid()
            State.values = values
            _logger.debug("database pool for %s, up to %d connections", engine.target(),
                          State.pool.maxconn)
        if name == "main":
            return State.pool
        return State.pools[name]


def make_pool(engine, values, size, name):
    return Pool(engine, size, values["db_pool_wait"], values["db_retry_after"], name)


def get_engine():
    """The engine object of the current pool (``.name`` is 'mysql' or 'sqlite')."""
    return get_pool().engine


def close_all():
    """Close the pools of this process; the next cursor opens new ones."""
    with State.lock:
        pool, State.pool = State.pool, None
        others, State.pools = State.pools, {}
        mine = State.pid == os.getpid()
        State.values = None
    if pool is None or not mine:
        return 0
    closed = pool.close()
    for other in others.values():
        closed += other.close()
    _logger.debug("database pools closed (%d idle connections)", closed)
    return closed
