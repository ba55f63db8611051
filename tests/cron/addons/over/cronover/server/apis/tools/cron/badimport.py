"""A job file that fails on import: left out, logged with its traceback."""
import tools.no_such_tool  # noqa: F401

every = 5


def badimport(data):
    return 1
