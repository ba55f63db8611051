"""Pages: ``/cgi-bin/p`` and ``/p`` (``?app=start&ses=TOKEN&rpage=NAME&k=v``).

``app=start`` selects the addons' ``client/admin`` folder, ``app=X``
``client/X``; ``rpage`` names the module ``<rpage>.py`` and its function
``<rpage>(data)``.  Both names are checked by pattern before anything else.
The page is ``header(data)``, the body frame around ``<rpage>(data)``, and
``footer(data)``, each taken from the app's folder or else from
``client/admin`` (the ``web`` addon's unless a later addon overrides them).
Each part may return its HTML or ``print()`` it.

A Flyton tree's ``client/app/<app>.py`` (``start.py`` for ``app=start``)
runs as Flyton's ``p4web.py`` runs it: ``main(data)``, ``data`` the
request's parameters (``ses`` is "" when the URL has none), after the page
head p4web.py prints (charset, viewport, title, ``/lib/styles.css``, font
awesome, bootstrap).  The app checks the session itself, as start.py does;
its page is that head, what it prints, then what it returns.
"""
import html
import logging
import traceback

from werkzeug.utils import redirect

from inphms import answers, printcapture
from inphms.auth import sessions
from inphms.config import config
from inphms.modules.registry import NAME_RE
from inphms.sql import Unavailable

from .base import Dispatcher
from .root import LOGIN_PAGE

_logger = logging.getLogger(__name__)

MAX_NAME = 64
LAYOUT = ("header", "body", "footer")
DEFAULT_RPAGE = "dashboard"


class PageDispatcher(Dispatcher):
    routing_type = "page"
    paths = ("/cgi-bin/p", "/p")

    def dispatch(self):
        httprequest = self.request.httprequest
        # a GET's parameters are its query string: no need for werkzeug's
        # combined view of query and form (a page may also be POSTed)
        source = httprequest.args if httprequest.method in ("GET", "HEAD") else httprequest.values
        params = source.to_dict()
        app = params.get("app") or "start"
        if not good_name(app):
            return not_found_page()
        flyton = self.request.app.registry.flyton_app(app)
        if flyton is not None:
            return self.serve_flyton(app, flyton, params)
        folder = "admin" if app == "start" else app
        ses = params.get("ses", "")
        session = sessions.load(ses)
        rpage = params.get("rpage") or (session or {}).get("page") or DEFAULT_RPAGE
        if not good_name(rpage) or rpage in LAYOUT:
            return not_found_page()
        code = self.request.app.registry.page(folder, rpage)
        if code is None:
            return not_found_page()
        try:
            return self.serve(app, folder, rpage, code, params, ses, session)
        except Unavailable:
            raise       # answered 503 by the Application
        except Exception:
            _logger.exception("page %s of app %s failed", rpage, app)
            return error_page(traceback.format_exc())

    def serve_flyton(self, app, code, params):
        data = dict(params)
        data.setdefault("ses", "")
        self.request.ses = data["ses"]
        try:
            body = run_part(code.function("main"), data)
        except Unavailable:
            raise       # answered by unavailable() through the Application
        except Exception:
            _logger.exception("Flyton app %s (%s) failed", app, code.path)
            return error_page(traceback.format_exc())
        return page_response(flyton_head(code.addon) + body + "\n</body>\n</html>\n", 200)

    def refuse(self, status, reason):
        text = f"<p>The request was not understood: {html.escape(reason)}.</p>"
        return page_response(standalone_page("Bad request", text), status)

    def unavailable(self, exc):
        text = ("<p>The service is unavailable for now: the database cannot answer. "
                f"Try again in {exc.retry_after} seconds.</p>")
        headers = answers.NO_STORE + (("Retry-After", str(exc.retry_after)),)
        return answers.Answer(standalone_page("Service unavailable", text), 503, headers=headers)

    def serve(self, app, folder, rpage, code, params, ses, session):
        if session is None and not getattr(code.load(), "public", 0):
            return answers.secure(redirect(LOGIN_PAGE, 302))
        self.request.ses = ses
        self.request.session = session or {}
        data = dict(params, ses=ses, s=self.request.session, rpage=rpage, app=app)
        return page_response(self.render(folder, code, data), 200)

    def render(self, folder, code, data):
        page = run_part(code.function(), data)
        parts = [self.layout(folder, "header", data),
                 self.layout(folder, "body", data, page),
                 self.layout(folder, "footer", data)]
        return "".join(parts)

    def layout(self, folder, name, data, *args):
        registry = self.request.app.registry
        code = registry.page(folder, name) or registry.page("admin", name)
        if code is None:
            return args[0] if args else ""
        return run_part(code.function(), data, *args)


def run_part(func, data, *args):
    """What ``func`` printed, then what it returned."""
    with printcapture.capture() as printed:
        returned = func(data, *args)
    return printcapture.text(printed) + (returned if isinstance(returned, str) else "")


def flyton_head(title):
    """The top of the page that Flyton's p4web.py prints before the app runs."""
    title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang=en>
<head>
<meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{title}</title>
<link href="/lib/styles.css" rel=stylesheet>
<link href="/lib/font-awesome/all.min.css" rel=stylesheet>
<link href="/lib/bootstrap.min.css" rel=stylesheet>
<script src="/lib/bootstrap.bundle.min.js"></script>
</head>
<body>
"""


def good_name(name):
    return len(name) <= MAX_NAME and bool(NAME_RE.match(name))


def page_response(body, status):
    return answers.Answer(body, status, headers=answers.NO_STORE)


def not_found_page():
    return page_response(standalone_page("Page not found",
                                         "<p>There is no such page.</p>"), 404)


def error_page(trace):
    text = "<p>The page failed. The error is in the server's log.</p>"
    if config["dev_mode"]:
        text += f"<pre id=trace>{html.escape(trace)}</pre>"
    return page_response(standalone_page("Server error", text), 500)


def standalone_page(title, inner):
    return f"""<!DOCTYPE html>
<html lang=en>
<head><meta charset=utf-8><title>{title}</title>
<link href="/lib/bootstrap.min.css" rel=stylesheet></head>
<body class=p-4><h1 id=title>{title}</h1>{inner}
<p><a href="{LOGIN_PAGE}">Back to the start</a></p></body>
</html>
"""
