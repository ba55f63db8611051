"""slow: runs 4 seconds, ignoring the stop, so a stop must wait for it."""
import time

from tools.db_book import *

every = 1
timeout = 60


def slow(data):
    book(data, "start")
    time.sleep(4)   # on purpose: the job is still running while the tests stop the server
    book(data, "done")
