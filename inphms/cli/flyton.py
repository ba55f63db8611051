"""The `flyton` command: what a Flyton project needs before inphms serves it.

    python inphms-bin flyton check PATH

Reads the project at PATH without running it (inphms.modules.flyton_check)
and prints one line per finding, ``file:line: what -> change``; exits 0
when there is nothing to change, 1 otherwise.
"""
import os
import sys

from inphms import errors
from inphms.modules import flyton_check

from .command import PROG, Command

USAGE = f"usage: {PROG} flyton check PATH"


class Flyton(Command):
    """Check a Flyton project before it is put on the addons path."""
    name = "flyton"
    help = "check PATH: what a Flyton project needs changed to run under inphms"

    parses_config = False       # its arguments are its own; it reads no config

    def run(self, args):
        if args[:1] in (["-h"], ["--help"]):
            print(USAGE)
            print(__doc__.split("\n\n", 2)[2].strip())
            return 0
        if len(args) != 2 or args[0] != "check":
            print(USAGE, file=sys.stderr)
            return errors.EXIT_USAGE
        root = args[1]
        if not os.path.isdir(os.path.join(root, "client")) and not os.path.isdir(os.path.join(root, "server")):
            print(f"{PROG} flyton: {root} has no client/ or server/ folder: not a Flyton project",
                  file=sys.stderr)
            return errors.EXIT_USAGE
        found = flyton_check.check(root)
        for finding in found:
            print(finding)
        files = len({f.path for f in found})
        if not found:
            print(f"{root}: nothing to change")
            return 0
        print(f"{len(found)} finding(s) in {files} file(s)")
        return 1
