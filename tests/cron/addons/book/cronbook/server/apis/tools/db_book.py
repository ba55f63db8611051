"""db_book: test jobs write each step to cron_book."""
import os

from tools.sql import *

__all__ = ["book", "book_count"]


def book(data, what):
    """A cron_book row for this job's step; its id."""
    s = {"name": data["job"], "what": what, "pid": os.getpid(), "due": data["due"]}
    w = insert_to_sql({'table': 'cron_book', 'set': s})
    if not w["status"]:
        raise RuntimeError(w["err"])
    return w["id"]


def book_count(name, what):
    return count_in_sql({'table': 'cron_book', 'where': {'name': name, 'what': what}})[0]
