"""Make `tools` an alias of `inphms.tools`, module for module.

Flyton code writes `from tools.sql import *`.  A plain `sys.modules['tools']`
entry is not enough: `tools.sql` would then be loaded a second time under a
second name, with its own pool and its own state.  This finder answers every
`tools` / `tools.X` import with the module object of `inphms.tools` /
`inphms.tools.X`, so both names always share one module.

An addon's own ``server/apis/tools/X.py`` is found through the ``tools``
package path, after inphms's own folder, so when inphms has a tool of that
name, inphms's serves; ``note_shadowed`` says so in the log, once per file.
"""
import importlib
import importlib.abc
import importlib.util
import logging
import os
import sys

import inphms.tools

_logger = logging.getLogger(__name__)

ALIAS = "tools"
REAL = "inphms.tools"


class ToolsAliasLoader(importlib.abc.Loader):
    def __init__(self, real_name):
        self.real_name = real_name

    def create_module(self, spec):
        return importlib.import_module(self.real_name)

    def exec_module(self, module):
        # The real module was executed by its own import.
        pass


class ToolsAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real_name = REAL + fullname[len(ALIAS):]
        if importlib.util.find_spec(real_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, ToolsAliasLoader(real_name))


def install():
    if not any(isinstance(finder, ToolsAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, ToolsAliasFinder())


shadowed_seen = set()


def note_shadowed(addon_name, tools_dir):
    """Log once per file each module of tools_dir that inphms's own tools.X shadows."""
    own = os.path.dirname(os.path.abspath(inphms.tools.__file__))
    try:
        names = sorted(os.listdir(tools_dir))
    except OSError:
        return
    for f in names:
        path = os.path.join(tools_dir, f)
        if not f.endswith(".py") or f == "__init__.py" or path in shadowed_seen:
            continue
        if not os.path.isfile(os.path.join(own, f)):
            continue
        shadowed_seen.add(path)
        _logger.warning("addon %s: its %s is not used: inphms's tools.%s serves instead", addon_name,
                        path, f[:-3])
