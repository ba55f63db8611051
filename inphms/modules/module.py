"""Find addons, read their manifests and put them in loading order.

An addon is a folder holding ``__manifest__.py``.  A Flyton tree (a project
laid out as Flyton's repository is: ``client/app/...`` and ``server/apis/...``,
no manifest) is taken as it is: as an addon that depends on ``web``, whose
``client/app`` is on the import path (``from admin.header import *``).  An
entry of ``addons_path`` may be such a tree itself, or a folder holding
addons and trees.  Any other folder there is skipped, and the log says so.

The server-wide addons (``base``, ``web``) ship inside the package and
always come first; then every addon of ``addons_path``, ordered so that
each one follows its ``depends``.  A missing dependency or a cycle is a
start-up error naming the addons.
"""
import ast
import logging
import os
import sys

import inphms.addons
import inphms.tools
from inphms import errors
from . import tools_alias

_logger = logging.getLogger(__name__)

MANIFEST = "__manifest__.py"
SERVER_WIDE = ("base", "web")
SERVER_WIDE_PATH = os.path.dirname(inphms.addons.__file__)


class Addon:
    """One addon folder and its manifest."""

    flyton = 0

    def __init__(self, name, path, manifest):
        self.name = name
        self.path = path
        self.manifest = manifest

    @property
    def depends(self):
        return list(self.manifest.get("depends", []))

    def subpath(self, *parts):
        return os.path.join(self.path, *parts)

    def __repr__(self):
        return f"Addon({self.name!r}, {self.path!r})"


class FlytonTree(Addon):
    """A Flyton project as it is: ``client/app/<app>.py`` pages with ``main(data)``."""

    flyton = 1

    def __init__(self, name, path):
        super().__init__(name, path, {"name": name, "depends": ["web"], "flyton": 1})

    @property
    def app_dir(self):
        return self.subpath("client", "app")


def is_flyton_tree(folder):
    """True for a folder laid out as Flyton's repository (client/app or server/apis)."""
    if not (os.path.isdir(os.path.join(folder, "client")) and os.path.isdir(os.path.join(folder, "server"))):
        return False
    return (os.path.isdir(os.path.join(folder, "client", "app"))
            or os.path.isdir(os.path.join(folder, "server", "apis")))


def read_manifest(folder):
    """The manifest dict of ``folder``, or None when it is not an addon."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        manifest = ast.literal_eval(text)
    except (SyntaxError, ValueError) as exc:
        raise errors.StartupError(f"addon {os.path.basename(folder)}: bad {MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict):
        raise errors.StartupError(f"addon {os.path.basename(folder)}: {MANIFEST} is not a dict")
    return manifest


def addons_paths(config):
    """Server-wide path first, then the configured folders, without repeats."""
    paths = [SERVER_WIDE_PATH]
    for path in config["addons_path"]:
        if os.path.realpath(path) not in map(os.path.realpath, paths):
            paths.append(path)
    return paths


def find_addons(config):
    """Every installable addon on the addons path: {name: Addon}; first found wins."""
    found = {}
    for root in addons_paths(config):
        if root != SERVER_WIDE_PATH and read_manifest(root) is None and is_flyton_tree(root):
            name = os.path.basename(os.path.normpath(os.path.abspath(root)))
            if name not in found:
                found[name] = FlytonTree(name, root)
            continue
        for name in sorted(os.listdir(root)):
            folder = os.path.join(root, name)
            if name in found or not os.path.isdir(folder) or name.startswith((".", "__")):
                continue
            manifest = read_manifest(folder)
            if manifest is None and is_flyton_tree(folder):
                found[name] = FlytonTree(name, folder)
                continue
            if manifest is None:
                _logger.warning("folder %s on the addons path is skipped: it has no %s and is not "
                                "a Flyton tree (client/app or server/apis)", folder, MANIFEST)
                continue
            if not manifest.get("installable", 1):
                _logger.info("addon %s is not installable, skipped", name)
                continue
            found[name] = Addon(name, folder, manifest)
    return found


def loading_order(found):
    """Addons in an order where each follows its dependencies; base and web first."""
    missing = sorted(f"{a.name} (needs {dep})" for a in found.values()
                     for dep in a.depends if dep not in found)
    if missing:
        raise errors.StartupError("missing addon dependencies: " + ", ".join(missing))
    order, state = [], {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = trail[trail.index(name):] + [name]
            raise errors.StartupError("addon dependency cycle: " + " -> ".join(cycle))
        state[name] = "visiting"
        for dep in found[name].depends:
            visit(dep, trail + [name])
        state[name] = "done"
        order.append(found[name])

    for name in SERVER_WIDE:
        if name in found:
            visit(name, [])
    for name in sorted(found):
        visit(name, [])
    return order


def initialize_sys_path(config):
    """Hook the addons path into ``inphms.addons.__path__`` (only what is not there yet)."""
    for path in addons_paths(config):
        if path not in inphms.addons.__path__:
            inphms.addons.__path__.append(path)


def extend_tools_path(addons):
    """Add each addon's ``server/apis/tools`` to the ``tools`` package path.

    inphms's own tools come first in that path, so an addon's copy of one of
    them (a Flyton project ships its ``sql.py``, ``db_ses.py``...) is never
    imported: the log names each such file once.
    """
    for addon in addons:
        tools_dir = addon.subpath("server", "apis", "tools")
        if not os.path.isdir(tools_dir) or tools_dir in inphms.tools.__path__:
            continue
        inphms.tools.__path__.append(tools_dir)
        tools_alias.note_shadowed(addon.name, tools_dir)


def extend_flyton_path(addons):
    """Put each Flyton tree's ``client/app`` on ``sys.path``, as its start.py expects.

    Its ``admin`` package (and any other folder there) becomes importable by
    that name; ``tools`` stays inphms's (see tools_alias).  Two trees share
    one import path, so the first tree's ``admin`` would serve both: refused.
    """
    trees = [a for a in addons if a.flyton and os.path.isdir(a.app_dir)]
    if len(trees) > 1:
        raise errors.StartupError("more than one Flyton tree on the addons path ("
                                  + ", ".join(a.name for a in trees)
                                  + "): their client/app folders would share one import path")
    for tree in trees:
        if tree.app_dir not in sys.path:
            sys.path.append(tree.app_dir)
        _logger.info("Flyton tree %s at %s: client/app is on the import path", tree.name, tree.path)


def load_addons(config):
    """Find, order and register the addons; returns them in loading order."""
    initialize_sys_path(config)
    addons = loading_order(find_addons(config))
    extend_tools_path(addons)
    extend_flyton_path(addons)
    _logger.info("addons: %s", ", ".join(a.name for a in addons))
    return addons
