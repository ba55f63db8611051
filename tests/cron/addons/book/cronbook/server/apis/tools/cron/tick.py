"""tick: the counter of the tests: one cron_book row per run."""
from tools.db_book import *

every = 2


def tick(data):
    book(data, "tick")
    return "booked"
