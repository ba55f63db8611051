"""The pid file: written at start, removed at exit (kept across a phoenix re-exec)."""
import os


def write(path):
    if path:
        with open(path, "w") as handle:
            handle.write(f"{os.getpid()}\n")


def remove(path):
    if path and os.path.exists(path):
        os.unlink(path)
