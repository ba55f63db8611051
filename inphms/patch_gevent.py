"""Apply gevent's monkey patching first thing, when the server will be evented.

``--evented`` needs every socket, lock and thread to be gevent's, so the
patching must happen before anything imports ``socket`` or starts a thread:
``inphms/__init__.py`` calls ``early_patch()`` before it imports anything
else.  It only patches when the program is the inphms launcher and
``--evented`` is on its command line or ``evented = 1`` in the config file
it will read (-c FILE, else $INPHMS_RC, else ./inphms.conf).  Nothing here
may import ``socket`` or ``threading``.

gevent is an optional extra (``pip install inphms[evented]``): only
``--evented`` imports it, and without it that option ends the program at
once with one line naming the extra.
"""
import configparser
import importlib
import os
import sys

from .errors import EXIT_ERROR

LAUNCHERS = ("inphms-bin", "inphms")
TRUE = ("1", "true", "yes", "on")


def config_file(args):
    for index, arg in enumerate(args):
        if arg in ("-c", "--config") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return os.environ.get("INPHMS_RC") or "inphms.conf"


def wanted(args):
    """True when these launcher arguments ask for the evented server."""
    if "--no-evented" in args:
        return False
    if "--evented" in args:
        return True
    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file(args))
    except configparser.Error:
        return False        # the real parse reports the bad file
    return parser.get("options", "evented", fallback="0").strip().lower() in TRUE


def launched():
    """True in the inphms launcher (inphms-bin, the inphms script, python -m inphms)."""
    program = sys.argv[0] if sys.argv else ""
    if os.path.basename(program) in LAUNCHERS:
        return True
    return program.endswith(os.path.join("inphms", "__main__.py")) or program == "-m"


def early_patch():
    if not launched() or not wanted(sys.argv[1:]):
        return
    try:
        from gevent import monkey
    except ImportError as exc:
        sys.stderr.write(f"inphms-bin: --evented needs gevent, which cannot be imported ({exc}): "
                         "pip install 'inphms[evented]'\n")
        raise SystemExit(EXIT_ERROR) from None
    monkey.patch_all()


def patched():
    """True when the process runs on gevent's patched sockets."""
    if "gevent.monkey" not in sys.modules:
        return False
    from gevent import monkey
    return monkey.is_module_patched("socket")


def original(module_name, name):
    """``module.name`` as it was before gevent's patching (the same object when not patched).

    For a check that must not wait: gevent's ``select.poll`` registers
    watchers with its hub and may switch greenlets even with a timeout of 0,
    where the system call answers at once.
    """
    if patched():
        from gevent import monkey
        return monkey.get_original(module_name, name)
    return getattr(importlib.import_module(module_name), name, None)
