"""Command line: `python inphms-bin [command] [options]`."""
from .command import Command, main  # noqa: F401
