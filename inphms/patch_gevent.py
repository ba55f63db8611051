"""gevent's monkey patching, for the evented server (``--evented``).

``--evented`` needs every socket, lock and thread to be gevent's, so the
patching must happen before anything imports ``socket`` or starts a
thread: the launcher (``inphms.cli.command.main``) parses the server's
command line and config file with ``inphms.config``, then calls ``patch()``
when ``evented`` is on, and only then imports the server.  The modules it
imports until then (``inphms``, ``inphms.config``, ``inphms.cli.command``,
this one) import no ``socket`` and start no thread; the locks the standard
library made at import (logging's) are converted by gevent itself.

gevent is an optional extra (``pip install inphms[evented]``): only
``--evented`` imports it, and without it that option ends the program at
once with one line naming the extra.
"""
import importlib
import sys

from .errors import EXIT_ERROR


def patch():
    """Apply gevent's patching, or end the program in one line when gevent is missing."""
    try:
        # lazy: gevent is an optional extra, imported only when the server is evented
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
    from gevent import monkey  # lazy: optional extra, already imported when patched
    return monkey.is_module_patched("socket")


def original(module_name, name):
    """``module.name`` as it was before gevent's patching (the same object when not patched).

    For a check that must not wait: gevent's ``select.poll`` registers
    watchers with its hub and may switch greenlets even with a timeout of 0,
    where the system call answers at once.
    """
    if patched():
        from gevent import monkey  # lazy: optional extra, already imported when patched
        return monkey.get_original(module_name, name)
    return getattr(importlib.import_module(module_name), name, None)
