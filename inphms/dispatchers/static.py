"""Static files: ``/lib/...`` and ``/pages/...`` merged over the addons.

The last loaded addon that has the file wins.  A folder of ``/pages/`` is
answered by its ``index.html`` (``/pages/login`` redirects to
``/pages/login/`` so the page's relative links work).  Files are sent with
ETag, Last-Modified and 304 answers; a path that leaves the addon's folder
(``..``, encoded slashes, a symlink pointing out) is a 404.
"""
import os

import werkzeug.security
import werkzeug.utils
from werkzeug.utils import redirect

from inphms import http

from .base import Dispatcher


class StaticDispatcher(Dispatcher):
    routing_type = "static"
    prefixes = ("/lib/", "/pages/")
    paths = ("/pages",)

    def dispatch(self):
        httprequest = self.request.httprequest
        prefix, _, subpath = httprequest.path.lstrip("/").partition("/")
        for folder in self.request.app.registry.static.get(prefix, []):
            found = find_file(folder, subpath, index=prefix == "pages")
            if found == "folder":
                return http.secure(redirect(httprequest.path + "/", 301), cache=False)
            if found:
                response = werkzeug.utils.send_file(found, httprequest.environ, conditional=True,
                                                    etag=True, max_age=None)
                return http.secure(response, cache=False)
        return http.plain(404, "not found")


def find_file(folder, subpath, index):
    """The file for ``subpath`` in ``folder``; "folder" when a slash is missing; None."""
    if any(part.startswith(".") for part in subpath.split("/") if part):
        return None
    path = werkzeug.security.safe_join(folder, subpath) if subpath else folder
    if path is None or not inside(folder, path):
        return None
    if index and os.path.isdir(path):
        if subpath and not subpath.endswith("/"):
            return "folder"
        path = os.path.join(path, "index.html")
    if not os.path.isfile(path):
        return None
    return path


def inside(folder, path):
    """True when ``path``, symlinks resolved, stays under ``folder``."""
    real_folder = os.path.realpath(folder)
    return os.path.commonpath([real_folder, os.path.realpath(path)]) == real_folder
