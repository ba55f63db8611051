"""The `scaffold` command: write a new addon that works as it is.

    python inphms-bin scaffold NAME [DIR]      (DIR defaults to ./addons)

The addon has a manifest (with a dashboard card), a documented tables.sql
with one table named after the addon, one page that lists the table's rows
and adds one through the API, the API, its JS file, one cron job and one test
that starts the real server with the addon and checks all of it.
"""
import os
import re
import sys

from inphms import errors

from .command import PROG, Command
from . import scaffold_templates as templates

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def addon_files(name):
    """{relative path: text} of a new addon called ``name``."""
    title = name.replace("_", " ").capitalize()
    files = {}
    for path, text in templates.FILES.items():
        files[path.replace("NAME", name)] = (text.replace("NAME", name).replace("TITLE", title))
    return files


class Scaffold(Command):
    """Write a new addon."""
    name = "scaffold"
    help = "write a working addon: scaffold NAME [DIR] (DIR defaults to ./addons)"

    parses_config = False       # its arguments are its own; it reads no config

    def run(self, args):
        if "-h" in args or "--help" in args:
            print(f"usage: {PROG} scaffold NAME [DIR]\n\n{__doc__}")
            return 0
        if len(args) not in (1, 2) or args[0].startswith("-"):
            print(f"{PROG} scaffold: expected NAME [DIR]", file=sys.stderr)
            return errors.EXIT_USAGE
        name = args[0]
        if not NAME_RE.match(name):
            print(f"{PROG} scaffold: bad addon name {name!r}: lower-case letters, digits and _, "
                  "starting with a letter", file=sys.stderr)
            return errors.EXIT_USAGE
        folder = os.path.join(args[1] if len(args) == 2 else "addons", name)
        if os.path.exists(folder):
            raise errors.StartupError(f"{folder} exists already")
        for path, text in addon_files(name).items():
            target = os.path.join(folder, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(text)
        print(f"addon {name} written in {folder}\n"
              f"  test it:   python -m pytest {os.path.join(folder, 'tests')}\n"
              f"  serve it:  add its folder to addons_path, then kill -HUP the server")
        return 0
