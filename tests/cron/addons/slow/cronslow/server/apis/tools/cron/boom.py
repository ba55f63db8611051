"""boom: always fails, with a number in its message."""
from tools.db_book import *

every = 1


def boom(data):
    n = book(data, "try")
    raise ValueError(f"boom {n}")
