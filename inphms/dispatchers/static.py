"""Static files: ``/lib/...`` and ``/pages/...`` merged over the addons.

The last loaded addon that has the file wins.  A folder of ``/pages/`` is
answered by its ``index.html`` (``/pages/login`` redirects to
``/pages/login/`` so the page's relative links work).  Files are sent with
ETag, Last-Modified and 304 answers; a path that leaves the addon's folder
(``..``, encoded slashes, a symlink pointing out) is a 404.

``/pages/enter/``, where Flyton's kicdev.server.js sends a browser whose
session is over, leads to the login page unless an addon has that folder.

Small files are answered from memory: which file a URL names is found once
(the checks above), and its bytes and headers are kept while one ``stat``
per request shows the file unchanged.  Large files and range requests go
through werkzeug's ``send_file``, which hands the file to the server's
``sendfile``.

``quick_answer`` gives the HTTP server such a kept answer without a WSGI
call (``Application.quick_answer``): only for a URL this dispatcher has
answered from memory before, and only for a request whose answer cannot
differ from the usual path's (GET or HEAD, a plain ASCII path and query,
no Range), so the bytes are the same, Date aside.
"""
import datetime
import hashlib
import mimetypes
import os
import threading

import werkzeug.http
import werkzeug.security
import werkzeug.utils
from werkzeug.utils import redirect

from inphms import answers

from .base import Dispatcher
from .root import LOGIN_PAGE

SMALL_FILE = 256 * 1024     # bytes: files up to this size are kept in memory
CACHE_ENTRIES = 2048        # URLs remembered; when full the cache starts over
QUICK_PREFIXES = (b"/lib/", b"/pages/")     # raw targets quick_answer may know


class StaticDispatcher(Dispatcher):
    routing_type = "static"
    prefixes = ("/lib/", "/pages/")
    paths = ("/pages",)

    def dispatch(self):
        httprequest = self.request.httprequest
        registry = self.request.app.registry
        environ = httprequest.wrapped.environ     # with the server's file_wrapper
        entry = cache.get(registry, httprequest.path)
        if entry is None:
            found = locate(registry, httprequest.path)
            if found == "folder":
                return redirect(httprequest.path + "/", 301)
            if found is None and httprequest.path.rstrip("/") == ENTER:
                return answers.secure(redirect(enter_target(httprequest), 302))
            if found is None:
                return answers.plain(404, "not found")
            entry = cache.put(registry, httprequest.path, found)
            if entry is None:
                return answers.plain(404, "not found")     # gone since located
        if entry.body is None or "HTTP_RANGE" in environ:
            return werkzeug.utils.send_file(entry.path, environ, conditional=True,
                                            etag=entry.etag.strip('"'), max_age=None)
        return entry.answer(environ)


ENTER = "/pages/enter"


def enter_target(httprequest):
    query = httprequest.query_string.decode("latin-1")
    return LOGIN_PAGE + ("?" + query if query else "")


def locate(registry, path):
    """The file a URL path names, "folder" when a slash is missing, or None."""
    prefix, _, subpath = path.lstrip("/").partition("/")
    for folder in registry.static.get(prefix, []):
        found = find_file(folder, subpath, index=prefix == "pages")
        if found:
            return found
    return None


def find_file(folder, subpath, index):
    """The file for ``subpath`` in ``folder``; "folder" when a slash is missing; None."""
    if any(part.startswith(".") for part in subpath.split("/") if part):
        return None
    if "\0" in subpath:
        return None     # no file has a NUL in its name (and os.path refuses one)
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


class Entry:
    """One located file: its identity on disk, and for a small file its answer."""

    def __init__(self, path, stat):
        self.path = path
        self.key = stat_key(stat)
        self.modified = datetime.datetime.fromtimestamp(int(stat.st_mtime), datetime.timezone.utc)
        self.body = None
        modified = werkzeug.http.http_date(self.modified)
        if stat.st_size <= SMALL_FILE:
            with open(path, "rb") as handle:
                body = handle.read(SMALL_FILE + 1)
            if len(body) == stat.st_size:
                self.body = body
        if self.body is not None:
            # from the bytes: the same file gets the same ETag on every server
            self.etag = '"%s"' % hashlib.sha1(self.body).hexdigest()[:20]
        else:
            self.etag = '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype in ("application/javascript", "image/svg+xml"):
            mimetype += "; charset=utf-8"
        self.common = [("ETag", self.etag), ("Last-Modified", modified),
                       ("Cache-Control", "no-cache"), ("Accept-Ranges", "bytes")]
        self.full = [("Content-Type", mimetype), ("Content-Length", str(len(self.body or b"")))]
        self.full += self.common
        # what the Application sends for them (its security headers added)
        self.secured_full = answers.add_security_headers(list(self.full))
        self.secured_common = answers.add_security_headers(list(self.common))

    def answer(self, environ):
        """The WSGI app sending this file, or 304 when the client has it."""
        if self.unchanged(environ):
            return self.send_not_modified
        return self.send

    def unchanged(self, environ):
        """True when the client's copy is this one (If-None-Match wins, RFC 9110 13.2.2)."""
        if "HTTP_IF_NONE_MATCH" not in environ and "HTTP_IF_MODIFIED_SINCE" not in environ:
            return False    # the usual request: no need to ask werkzeug
        return not werkzeug.http.is_resource_modified(environ, etag=self.etag,
                                                      last_modified=self.modified)

    def send_not_modified(self, environ, start_response):
        start_response("304 Not Modified", list(self.common))
        return []

    def send(self, environ, start_response):
        start_response("200 OK", list(self.full))
        if environ["REQUEST_METHOD"] == "HEAD":
            return []
        return [self.body]


def quick_answer(registry, method, path, query, conditions):
    """(status line, headers, body) of a kept small file, as the usual path would
    answer, or None when the request must take it (a miss is always safe).

    ``path`` and ``query`` are the request target's raw bytes; only plain
    ASCII without %-escapes is taken, so the URL is the usual path's cache
    key and the query passes its UTF-8 check.  ``conditions`` holds the
    ``HTTP_IF_NONE_MATCH`` and ``HTTP_IF_MODIFIED_SINCE`` the client sent.
    """
    if not path.startswith(QUICK_PREFIXES) or b"%" in path or not path.isascii():
        return None
    if query and (b"%" in query or not query.isascii()):
        return None
    entry = cache.get(registry, path.decode("ascii"))
    if entry is None or entry.body is None:
        return None
    if entry.unchanged(conditions):
        return "304 Not Modified", entry.secured_common, b""
    return "200 OK", entry.secured_full, b"" if method == "HEAD" else entry.body


def stat_key(stat):
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev)


class StaticCache:
    """URL path -> Entry, for the current registry; checked by ``stat`` on every use."""

    def __init__(self):
        self.registry = None
        self.entries = {}
        self.lock = threading.Lock()

    def get(self, registry, path):
        if registry is not self.registry:
            return None
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            stat = os.stat(entry.path)
        except OSError:
            stat = None
        if stat is None or stat_key(stat) != entry.key:
            # changed, replaced or gone: locate it again (the checks run again)
            self.entries.pop(path, None)
            return None
        return entry

    def put(self, registry, path, found):
        try:
            entry = Entry(found, os.stat(found))
        except OSError:
            return None
        with self.lock:
            if registry is not self.registry or len(self.entries) >= CACHE_ENTRIES:
                self.registry, self.entries = registry, {}
            self.entries[path] = entry
        return entry


cache = StaticCache()
