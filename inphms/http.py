"""The Application: the WSGI callable at the root of every request.

For now it serves the static files of ``/lib/...`` from the addons' ``client/lib``
folders (a later addon overrides an earlier one) with ETag, Last-Modified and
304 answers, and a plain 404 for anything else.
"""
import logging
import os

import werkzeug.exceptions
import werkzeug.security
import werkzeug.utils
from werkzeug.wrappers import Request, Response

from .tools.func import lazy_property

_logger = logging.getLogger(__name__)

STATIC_PREFIXES = {"lib": ("client", "lib")}


class Application:
    """The root WSGI application (``inphms.http.root``)."""

    def __init__(self):
        self.addons = []

    def setup(self, addons):
        """Take the loaded addons; lazily built parts are built anew."""
        self.addons = list(addons)
        self.__dict__.pop("static_roots", None)

    @lazy_property
    def static_roots(self):
        """{prefix: [folder, ...]}, the last loaded addon first (it overrides)."""
        roots = {}
        for prefix, parts in STATIC_PREFIXES.items():
            folders = [addon.subpath(*parts) for addon in reversed(self.addons)]
            roots[prefix] = [f for f in folders if os.path.isdir(f)]
        return roots

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except werkzeug.exceptions.HTTPException as exc:
            response = exc.get_response(environ)
        except Exception:
            _logger.exception("error while serving %s", request.path)
            response = Response("internal server error\n", 500, mimetype="text/plain")
        return response(environ, start_response)

    def dispatch(self, request):
        prefix, _, rest = request.path.lstrip("/").partition("/")
        if prefix in self.static_roots and rest:
            return self.serve_static(prefix, rest, request)
        return not_found()

    def serve_static(self, prefix, subpath, request):
        for root in self.static_roots[prefix]:
            path = static_file(root, subpath)
            if path:
                return werkzeug.utils.send_file(path, request.environ, conditional=True,
                                                etag=True, max_age=None)
        return not_found()


def static_file(root, subpath):
    """The file ``subpath`` under ``root``, or None if absent or outside ``root``."""
    path = werkzeug.security.safe_join(root, subpath)
    if path is None or not os.path.isfile(path):
        return None
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        return None
    return path


def not_found():
    return Response("not found\n", 404, mimetype="text/plain")


root = Application()
