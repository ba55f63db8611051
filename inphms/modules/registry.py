"""What the loaded addons offer, indexed once at start-up.

Pages (``client/<app>/<rpage>.py``), a Flyton tree's apps
(``client/app/<app>.py`` with ``main(data)``), APIs
(``server/apis/api/api_<x>.py``),
static folders (``client/lib``, ``client/pages``) and language folders
(``client/lang``).  Requests look names up in these dicts, never on disk; a
later addon's file with the same name overrides an earlier one, and the
override is logged.  Code modules are imported on first use, once per
process, under a stable name in ``sys.modules``.

``api_login`` is inphms's (the ``base`` addon's) unless ``flyton_login`` is
on: a project's own copy would replace the login everybody needs, so it is
left out, and the start-up log says which one serves.
"""
import importlib.util
import logging
import os
import re
import sys
import threading

from inphms.config import config

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

    def function(self, name=None):
        """The function named after the file (``dashboard.py`` -> ``dashboard``), or ``name``."""
        name = name or self.name
        func = getattr(self.load(), name, None)
        if not callable(func):
            raise LookupError(f"{self.path} has no function {name}()")
        return func


def index_code_files(addon, kind, folder, index, pattern, what=None, skip=()):
    """Add the ``<name>.py`` files of ``folder`` to ``index`` ({name: CodeFile}).

    A name already there (an earlier addon's) is overridden, and that is logged
    (as ``what``, by default the kind).  Names in ``skip`` are left out.
    """
    if not os.path.isdir(folder):
        return
    for filename in sorted(os.listdir(folder)):
        name, ext = os.path.splitext(filename)
        if ext != ".py" or not pattern.match(name) or name in skip:
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
        self.flyton_apps = {}  # {app: CodeFile} of client/app/<app>.py of a Flyton tree
        for addon in self.addons:
            self.index_addon(addon)
        for prefix in self.static:
            self.static[prefix].reverse()
        self.log_login()
        if "start" in self.flyton_apps and self.pages.get("admin"):
            _logger.info("?app=start runs %s (main(data)); the client/admin pages of the addons "
                         "are served only through it", self.flyton_apps["start"].path)

    def index_addon(self, addon):
        client = addon.subpath("client")
        if os.path.isdir(client):
            for app in sorted(os.listdir(client)):
                folder = os.path.join(client, app)
                if app in ("lib", "pages", "lang") or not os.path.isdir(folder):
                    continue
                if addon.flyton and app == "app":
                    index_code_files(addon, "app", folder, self.flyton_apps, NAME_RE, "Flyton app")
                    continue
                index_code_files(addon, "client_" + app, folder, self.pages.setdefault(app, {}), NAME_RE)
        api_dir = addon.subpath("server", "apis", "api")
        index_code_files(addon, "api", api_dir, self.apis, API_RE, skip=self.own_login(addon, api_dir))
        for prefix in ("lib", "pages"):
            folder = addon.subpath("client", prefix)
            if os.path.isdir(folder):
                self.log_static_overrides(addon, prefix, folder)
                self.static.setdefault(prefix, []).append(folder)
        lang = addon.subpath("client", "lang")
        if os.path.isdir(lang):
            self.lang_dirs.append(lang)

    def own_login(self, addon, api_dir):
        """("api_login",) when the addon's own api_login must not serve (``flyton_login`` off)."""
        path = os.path.join(api_dir, "api_login.py")
        if addon.name == "base" or config["flyton_login"] or not os.path.isfile(path):
            return ()
        _logger.info("api_login of addon %s (%s) is not served: inphms's login serves "
                     "(flyton_login = 1 serves the project's own)", addon.name, path)
        return ("api_login",)

    def log_login(self):
        code = self.apis.get("api_login")
        if code is None:
            _logger.warning("login: no api_login is served")
            return
        _logger.info("login: api_login of addon %s serves (%s)", code.addon, code.path)

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

    def flyton_app(self, app):
        """The CodeFile of a Flyton tree's ``client/app/<app>.py``, or None."""
        return self.flyton_apps.get(app)
