"""The command registry and ``main()``, the entry point of ``inphms-bin``.

A command is a ``Command`` subclass; defining it registers it under its
``name`` (the module's name), as Odoo's CLI does.  Every module of this
package is imported once so its commands join the registry.
"""
import importlib
import os
import pkgutil
import sys

import inphms
from inphms import errors
from inphms.config import config, early_addons_path
from inphms.modules import module

commands = {}
PROG = "inphms-bin"


class Command:
    """Base of every command: ``name``, a one-line help, ``run(args)``."""
    name = None
    help = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = cls.name or cls.__module__.rsplit(".", 1)[-1]
        commands[cls.name] = cls

    def run(self, args):
        raise NotImplementedError


def check_db_user():
    """The seed refuses the database superuser; ours is MySQL's root."""
    if config["db_engine"] == "mysql" and config["db_user"] == "root":
        raise errors.StartupError("db_user = root is refused: create a database user for inphms")


def load_commands():
    package = sys.modules[__package__]
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{info.name}")


def print_help():
    print(f"usage: {PROG} [command] [options]\n")
    print(f"inphms {inphms.__version__}: a WSGI application server for Flyton projects.\n")
    print("Commands:")
    for name in sorted(commands):
        print(f"    {name:<10} {commands[name].help}")
    print(f"\nWithout a command, {PROG} runs the server.")
    print(f"'{PROG} <command> --help' lists the options of a command.\n")
    print(config.parser.format_option_help())


def split_command(args):
    """(command name, remaining args); the server is the default command."""
    if args and args[0] == "--server":
        return "server", args[1:]
    if args and not args[0].startswith("-"):
        return args[0], args[1:]
    return "server", args


def main(args=None):
    args = list(sys.argv[1:] if args is None else args)
    load_commands()
    if args and args[0] in ("-h", "--help"):
        print_help()
        return 0
    name, rest = split_command(args)
    if name not in commands:
        print(f"{PROG}: error: unknown command {name!r} (see {PROG} --help)", file=sys.stderr)
        return errors.EXIT_USAGE
    early = early_addons_path(rest)
    if name != "server" and early:
        # Seed: with an explicit command, --addons-path is hooked in before
        # the command runs, so it can see the addons before its full parse.
        config["addons_path"] = [os.path.abspath(p) for p in early.split(",") if p.strip()]
        module.initialize_sys_path(config)
    try:
        return commands[name]().run(rest) or 0
    except errors.ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return errors.EXIT_USAGE
    except errors.StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return errors.EXIT_ERROR
