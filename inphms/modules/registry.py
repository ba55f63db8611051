"""What the loaded addons offer, indexed once at start-up.

Pages (``client/<app>/<rpage>.py``), APIs (``server/apis/api/api_<x>.py``),
static folders (``client/lib``, ``client/pages``) and language folders
(``client/lang``).  Requests look names up in these dicts, never on disk; a
later addon's file with the same name overrides an earlier one, and the
override is logged.  Code modules are imported on first use, once per
process, under a stable name in ``sys.modules``.
"""
import importlib.util
import logging
import os
import re
import sys
import threading

_logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
API_RE = re.compile(r"^api_[a-z0-9_]+$")


class CodeFile:
    """One page or API file, imported on first use."""

    def __init__(self, addon, kind, name, path):
        self.addon = addon
        self.kind = kind
        self.name = name
        self.path = path
        self.module_name = f"inphms.addons.{addon}.{kind}.{name}"
        self.module = None
        self.lock = threading.Lock()

    def load(self):
        if self.module is not None:
            return self.module
        with self.lock:
            if self.module is None:
                spec = importlib.util.spec_from_file_location(self.module_name, self.path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[self.module_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(self.module_name, None)
                    raise
                self.module = module
        return self.module

    def function(self):
        """The function named after the file (``dashboard.py`` -> ``dashboard``)."""
        func = getattr(self.load(), self.name, None)
        if not callable(func):
            raise LookupError(f"{self.path} has no function {self.name}()")
        return func


def index_code_files(addon, kind, folder, index, pattern, what=None):
    """Add the ``<name>.py`` files of ``folder`` to ``index`` ({name: CodeFile}).

    A name already there (an earlier addon's) is overridden, and that is logged
    (as ``what``, by default the kind).
    """
    if not os.path.isdir(folder):
        return
    for filename in sorted(os.listdir(folder)):
        name, ext = os.path.splitext(filename)
        if ext != ".py" or not pattern.match(name):
            continue
        if name in index:
            _logger.info("%s %s of addon %s overrides the one of addon %s",
                         what or kind, name, addon.name, index[name].addon)
        index[name] = CodeFile(addon.name, kind, name, os.path.join(folder, filename))


class Registry:
    def __init__(self, addons):
        self.addons = list(addons)
        self.pages = {}        # {app folder: {rpage: CodeFile}}
        self.apis = {}         # {meth: CodeFile}
        self.static = {}       # {"lib"|"pages": [folder, ...] last addon first}
        self.lang_dirs = []    # client/lang folders in loading order
        self.static_owner = {}  # {url: addon name}, only to log overrides
        for addon in self.addons:
            self.index_addon(addon)
        for prefix in self.static:
            self.static[prefix].reverse()

    def index_addon(self, addon):
        client = addon.subpath("client")
        if os.path.isdir(client):
            for app in sorted(os.listdir(client)):
                folder = os.path.join(client, app)
                if app in ("lib", "pages", "lang") or not os.path.isdir(folder):
                    continue
                index_code_files(addon, "client_" + app, folder, self.pages.setdefault(app, {}), NAME_RE)
        index_code_files(addon, "api", addon.subpath("server", "apis", "api"), self.apis, API_RE)
        for prefix in ("lib", "pages"):
            folder = addon.subpath("client", prefix)
            if os.path.isdir(folder):
                self.log_static_overrides(addon, prefix, folder)
                self.static.setdefault(prefix, []).append(folder)
        lang = addon.subpath("client", "lang")
        if os.path.isdir(lang):
            self.lang_dirs.append(lang)

    def log_static_overrides(self, addon, prefix, folder):
        """Static files are looked up on disk per request; their overrides are logged here."""
        for dirpath, dirnames, filenames in os.walk(folder):
            for filename in filenames:
                url = f"/{prefix}/" + os.path.relpath(os.path.join(dirpath, filename), folder)
                if url in self.static_owner:
                    _logger.info("static file %s of addon %s overrides the one of addon %s",
                                 url, addon.name, self.static_owner[url])
                self.static_owner[url] = addon.name

    def page(self, app, rpage):
        """The CodeFile of page ``rpage`` of app folder ``app``, or None."""
        return self.pages.get(app, {}).get(rpage)

    def api(self, meth):
        return self.apis.get(meth)
