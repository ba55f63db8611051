"""Dispatchers: how a request of each kind (page, api, static) is answered.

Importing this package registers every dispatcher (see ``base.Dispatcher``).
"""
from . import api, health, metrics, page, root, static  # noqa: F401  (registration)
from .base import Dispatcher, dispatchers  # noqa: F401
