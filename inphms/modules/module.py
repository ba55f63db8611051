"""Find addons, read their manifests and put them in loading order.

An addon is a folder holding ``__manifest__.py``.  The server-wide addons
(``base``, ``web``) ship inside the package and always come first; then every
addon of ``addons_path``, ordered so that each one follows its ``depends``.
A missing dependency or a cycle is a start-up error naming the addons.
"""
import ast
import logging
import os

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
        for name in sorted(os.listdir(root)):
            folder = os.path.join(root, name)
            if name in found or not os.path.isdir(folder):
                continue
            manifest = read_manifest(folder)
            if manifest is None:
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
    """Add each addon's ``server/apis/tools`` to the ``tools`` package path."""
    for addon in addons:
        tools_dir = addon.subpath("server", "apis", "tools")
        if os.path.isdir(tools_dir) and tools_dir not in inphms.tools.__path__:
            inphms.tools.__path__.append(tools_dir)
            tools_alias.note_shadowed(addon.name, tools_dir)


def load_addons(config):
    """Find, order and register the addons; returns them in loading order."""
    initialize_sys_path(config)
    addons = loading_order(find_addons(config))
    extend_tools_path(addons)
    _logger.info("addons: %s", ", ".join(a.name for a in addons))
    return addons
