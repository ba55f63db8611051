"""hold: its first run ever hangs for a minute; later runs are quick."""
from tools.db_book import *

every = 2
timeout = 4


def hold(data):
    book(data, "start")
    if book_count("hold", "start") == 1:
        data["stop"].wait(60)
    book(data, "done")
