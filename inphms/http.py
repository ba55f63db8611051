"""The Application: the WSGI callable at the root of every request.

``Application.__call__`` resets the thread's request state, applies the
proxy headers when ``proxy_mode`` is on, wraps the environ in an
``WerkzeugRequest`` (werkzeug's Request, with a sanitised environ for addon
code), makes a ``Request`` the current one of the thread (greenlet) until it
is answered, and lets the dispatcher chosen for the path answer
(``inphms.dispatchers``: page, api, static, root).  A malformed request
(``inphms.badrequest``: a query string that is not UTF-8, a bad API body)
is answered 400 by its dispatcher's ``refuse`` (JSON for the API, an HTML
page for pages) with one warning line.  A database that cannot answer
(``inphms.sql.Unavailable``: down, frozen, too slow, no free connection) is
answered by the dispatcher's ``unavailable``: 503 with ``Retry-After`` for
pages, the API's JSON with ``retry_after`` (see dispatchers.api), one
warning line and no traceback.  Each request runs under the time limits
of ``inphms.request_limits``.  One catch-all logs an unexpected error and
answers 500.

``current_request()`` and ``current_lang()`` give addon tools (``kicapi``,
``kiclang``) the request they run in.
"""
import contextvars
import functools
import logging
import threading
import time

import werkzeug.exceptions
import werkzeug.wrappers
from werkzeug.middleware.proxy_fix import ProxyFix

from . import badrequest, metrics, request_limits
from .answers import plain, with_security_headers
from .config import config
from .dispatchers import Dispatcher, static
from .modules.registry import Registry
from .sql.errors import Unavailable
from .tools.func import lazy_property

_logger = logging.getLogger(__name__)

# the request of this thread (or greenlet: gevent gives each its own context)
request_var = contextvars.ContextVar("inphms.request", default=None)

# environ keys addon code has no business with (server internals, the socket)
HIDDEN_ENVIRON_PREFIXES = ("werkzeug.", "wsgi.", "socket")
KEPT_ENVIRON_KEYS = ("wsgi.url_scheme", "werkzeug.proxy_fix.orig")
# thread attributes a previous request may have left behind
THREAD_REQUEST_ATTRS = ("ses", "user_id", "url")

# the conditional request fields a kept static answer looks at (quick_answer)
CONDITION_FIELDS = ((b"if-none-match", "HTTP_IF_NONE_MATCH"),
                    (b"if-modified-since", "HTTP_IF_MODIFIED_SINCE"))


def current_request():
    """The Request being served by this thread (or greenlet), or None."""
    return request_var.get()


def current_lang():
    """The session's ``lang`` when the current request has one, else config ``lang``."""
    request = request_var.get()
    if request is not None and request.session:
        return request.session.get("lang") or config["lang"]
    return config["lang"]


class WerkzeugRequest:
    """werkzeug's Request, limited in size, with an environ fit for addon code."""

    def __init__(self, environ):
        # populate_request=False: werkzeug would put the Request in its own
        # environ, a reference cycle that outlives every request until the
        # garbage collector finds it (see Request below)
        wrapped = werkzeug.wrappers.Request(environ, populate_request=False)
        wrapped.max_content_length = config["limit_request"] or None
        wrapped.max_form_memory_size = config["limit_request"] or None
        self.wrapped = wrapped

    @functools.cached_property
    def environ(self):
        """The environ without server internals (built when addon code asks for it)."""
        return {key: value for key, value in self.wrapped.environ.items()
                if not key.startswith(HIDDEN_ENVIRON_PREFIXES) or key in KEPT_ENVIRON_KEYS}

    def __getattr__(self, name):
        return getattr(self.wrapped, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.wrapped.close()


class Request:
    """One request as dispatchers and addon tools see it.

    Nothing a request makes may refer back to it in a cycle: the dispatcher
    refers to the request, never the other way.  A cycle per request keeps
    every object of the request alive until the garbage collector's next
    pass, which then runs every few dozen requests and, in its oldest
    generation, stops the whole process for milliseconds.
    """

    def __init__(self, app, httprequest, dispatcher_class):
        self.app = app                 # the Application serving it
        self.httprequest = httprequest
        self.ses = ""            # the session token of the request
        self.session = {}        # data["s"]: the session's data with my_user_id
        self.answer = None       # the API answer set by api_ok() / api_err()
        self.dispatcher_class = dispatcher_class

    def dispatch(self):
        return self.dispatcher_class(self).dispatch()


def refuse(request, exc):
    """The 400 answer to a malformed request, in its dispatcher's form, logged in one line."""
    httprequest = request.httprequest
    reason = exc.description or "bad request"
    _logger.warning("bad request %s %.200r: %s", httprequest.method,
                    httprequest.environ.get("PATH_INFO", ""), reason)
    return request.dispatcher_class(request).refuse(exc.code, reason)


def unavailable(request, exc):
    """The answer when the database could not serve the request: logged in one line, no traceback."""
    httprequest = request.httprequest
    _logger.warning("database unavailable for %s %.200r: %s", httprequest.method,
                    httprequest.environ.get("PATH_INFO", ""), exc)
    return request.dispatcher_class(request).unavailable(exc)


def reset_thread_state():
    thread = threading.current_thread()
    for name in THREAD_REQUEST_ATTRS:
        if hasattr(thread, name):
            delattr(thread, name)


class Application:
    """The root WSGI application (``inphms.http.root``)."""

    def __init__(self):
        self.addons = []

    def setup(self, addons):
        """Take the loaded addons; lazily built parts are built anew."""
        self.addons = list(addons)
        for name in ("registry",):
            self.__dict__.pop(name, None)

    @lazy_property
    def registry(self):
        """The index of the addons' pages, APIs and static folders."""
        return Registry(self.addons)

    @lazy_property
    def proxied(self):
        """``serve`` behind werkzeug's ProxyFix: one proxy's X-Forwarded-* trusted."""
        return ProxyFix(self.serve, x_for=1, x_proto=1, x_host=1)

    quick_prefixes = static.QUICK_PREFIXES      # the request targets quick_answer may know

    def quick_answer(self, method, path, query, fields, peer):
        """A request the HTTP server may answer without a WSGI call, from memory.

        For a GET or HEAD of a small static file already served: (status
        line, headers, body, the client to log), the same answer as
        ``__call__`` would give, Date aside; None for anything else, which
        then takes the usual path.  ``path`` and ``query`` are the target's
        raw bytes, ``fields`` the parsed header fields (lower-case bytes name
        -> values).  It runs in the server's poller, so it never waits: no
        database, no lock held for long, no registry built.
        """
        registry = self.__dict__.get("registry")     # built by a first request
        if registry is None or method not in ("GET", "HEAD") or b"range" in fields:
            return None
        conditions = {}
        for name, key in CONDITION_FIELDS:
            values = fields.get(name)
            if values:
                conditions[key] = ", ".join(v.strip(b" \t").decode("latin-1") for v in values)
        started = metrics.State.metrics and time.perf_counter()
        answer = static.quick_answer(registry, method, path, query, conditions)
        if answer is None:
            return None
        if started:
            metrics.State.metrics.count("static", answer[0][:3], time.perf_counter() - started)
        client = peer
        if config["proxy_mode"]:
            # as ProxyFix (x_for=1) sets REMOTE_ADDR: the last X-Forwarded-For entry
            forwarded = fields.get(b"x-forwarded-for")
            if forwarded:
                client = b",".join(forwarded).decode("latin-1").split(",")[-1].strip() or peer
        return (*answer, client)

    def __call__(self, environ, start_response):
        reset_thread_state()
        serve = self.proxied if config["proxy_mode"] else self.serve
        if metrics.State.metrics is not None:
            dispatcher = Dispatcher.for_path(environ.get("PATH_INFO") or "/")
            kind = dispatcher.routing_type if dispatcher is not None else "other"
            return metrics.observe(serve, environ, start_response, kind)
        return serve(environ, start_response)

    def serve(self, environ, start_response):
        start_response = with_security_headers(start_response)
        with WerkzeugRequest(environ) as httprequest:
            dispatcher = Dispatcher.for_path(httprequest.path)
            if dispatcher is None:
                return plain(404, "not found")(environ, start_response)
            request = Request(self, httprequest, dispatcher)
            token = request_var.set(request)
            timed = request_limits.begin(environ)
            try:
                badrequest.check_query(environ)
                response = request.dispatch()
            except werkzeug.exceptions.BadRequest as exc:
                response = refuse(request, exc)
            except Unavailable as exc:
                response = unavailable(request, exc)
            except werkzeug.exceptions.HTTPException as exc:
                response = exc.get_response(environ)
            except Exception:
                _logger.exception("error while serving %s %s", httprequest.method, httprequest.path)
                response = plain(500, "internal server error")
            finally:
                request_var.reset(token)
                request_limits.end(timed)
            return response(environ, start_response)


root = Application()
