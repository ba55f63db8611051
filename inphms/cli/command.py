"""The command registry and ``main()``, the entry point of ``inphms-bin``.

A command is a ``Command`` subclass; defining it registers it under its
``name`` (the module's name), as Odoo's CLI does.  Every module of this
package is imported once so its commands join the registry.

The command line is parsed once, by ``config.parse_config`` in ``main()``,
with the options the command declares (``usage``, ``options``,
``positional``); the command's ``run`` finds the result in ``config``
(its own options in ``config.extra``, its positional arguments in
``config.args``).  The server's is parsed before any command module is
imported, and gevent's patching applied right after it when the server is
evented, so the patching still comes before anything imports ``socket``
or starts a thread (this module, the config and ``inphms/__init__`` import
neither; tests/runtime/test_layers.py checks it).
"""
import importlib
import os
import pkgutil
import sys

import inphms
from inphms import errors, patch_gevent
from inphms.config import config
from inphms.modules import module

commands = {}
PROG = "inphms-bin"
SERVER_USAGE = "%prog [server] [options]"


class Command:
    """Base of every command: ``name``, a one-line help, ``run(args)``."""
    name = None
    help = ""
    usage = "%prog [options]"   # the usage line of its --help
    options = ()                # optparse options of its own: values in config.extra
    positional = False          # True: takes positional arguments (in config.args)
    parses_config = True        # False: reads no config at all (its args are its own)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = cls.name or cls.__module__.rsplit(".", 1)[-1]
        commands[cls.name] = cls

    def run(self, args):
        """Do the command's work; ``args`` are its arguments, already parsed into ``config``."""
        raise NotImplementedError


def check_root_user():
    """Running the server as root works, but is a bad idea: warn."""
    if os.name == "posix" and os.geteuid() == 0:
        sys.stderr.write("Running as user 'root' is a security risk.\n")


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
    if args and args[0] in ("-h", "--help"):
        load_commands()
        print_help()
        return 0
    name, rest = split_command(args)
    try:
        if name == "server":
            # the server's command line, parsed before any command module is
            # imported: the evented server needs gevent's patching first
            config.parse_config(rest, usage=SERVER_USAGE)
            if config["evented"]:
                patch_gevent.patch()
            check_root_user()
        load_commands()
        if name not in commands:
            print(f"{PROG}: error: unknown command {name!r} (see {PROG} --help)", file=sys.stderr)
            return errors.EXIT_USAGE
        command = commands[name]()
        if name != "server" and command.parses_config:
            config.parse_config(rest, usage=command.usage, extra=command.options,
                                positional=command.positional)
            # the addons path is in the package path before the command runs
            module.initialize_sys_path(config)
        return command.run(rest) or 0
    except errors.ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return errors.EXIT_USAGE
    except errors.StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return errors.EXIT_ERROR
