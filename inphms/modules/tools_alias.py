"""Make `tools` an alias of `inphms.tools`, module for module.

Flyton code writes `from tools.sql import *`.  A plain `sys.modules['tools']`
entry is not enough: `tools.sql` would then be loaded a second time under a
second name, with its own pool and its own state.  This finder answers every
`tools` / `tools.X` import with the module object of `inphms.tools` /
`inphms.tools.X`, so both names always share one module.
"""
import importlib
import importlib.abc
import importlib.util
import sys

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
