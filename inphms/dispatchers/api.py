"""The API: ``POST /cgi-bin/api?meth=api_x`` (and ``/api``), Flyton's call_server.

The body is ``{"info": {"ses": .., "uses": ..}, "input": {...}}``.  ``meth``
names ``server/apis/api/api_x.py`` and its function ``api_x(data)``, which
answers with ``api_ok()`` / ``api_err()`` or returns a dict.  Every answer is
JSON of one shape::

    {"server": {"method": .., "allow": 1|0, "msg": .., ...more, "server_ver": ..}}

Bad JSON (not UTF-8, nested too deep, a lone surrogate, ``input`` or
``info`` not an object: ``inphms.badrequest``) or a missing ``meth``: 400; an unknown method: 404; a body over
``limit_request``: 413; an exception: 500 — all with that JSON body.  A call
without a valid session to a module that is not ``public = 1`` gets
``allow 0, sact "out"`` (status 200) so the browser goes to the login page.
A database that cannot answer now (``sql.Unavailable``) gets status 200 too,
as Flyton's ``kicdev.server.js`` throws on any other, with
``{"allow": 0, "unavailable": 1, "retry_after": N, ...}`` and a
``Retry-After: N`` header.
"""
import json
import logging
import traceback

import werkzeug.exceptions

import inphms
from inphms import badrequest, http, printcapture, sessions
from inphms.config import config
from inphms.modules.registry import API_RE
from inphms.sql import OutcomeUnknown, Unavailable

from .base import Dispatcher

_logger = logging.getLogger(__name__)

PUBLIC_BUILTINS = ("ping",)
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


class ApiDispatcher(Dispatcher):
    routing_type = "api"
    paths = ("/cgi-bin/api", "/api")

    def dispatch(self):
        httprequest = self.request.httprequest
        if httprequest.method == "OPTIONS":
            return self.cors(http.Answer(b"", 204, headers=http.NO_STORE))
        meth = httprequest.args.get("meth", "")
        if not meth:
            return self.reply(400, meth, {"allow": 0, "msg": "missing meth"})
        try:
            post = read_json(httprequest)
        except werkzeug.exceptions.RequestEntityTooLarge:
            return self.reply(413, meth, {"allow": 0, "msg": "request body too large",
                                          "limit": config["limit_request"]})
        if meth in PUBLIC_BUILTINS:
            return self.reply(200, meth, {"allow": 1, "msg": "pong"})
        code = self.request.app.registry.api(meth) if API_RE.match(meth) else None
        if code is None:
            return self.reply(404, meth, {"allow": 0, "msg": "unknown method"})
        try:
            return self.call(meth, code, post)
        except Unavailable:
            raise       # answered by unavailable() through the Application
        except Exception:
            _logger.exception("api %s failed", meth)
            answer = {"allow": 0, "msg": "internal error", "err": "internal error"}
            if config["dev_mode"]:
                answer["trace"] = traceback.format_exc()
            return self.reply(500, meth, answer)

    def call(self, meth, code, post):
        module = code.load()
        info = post["info"]
        ses = info.get("ses") or info.get("uses") or ""
        session = sessions.load(ses)
        if session is None and not getattr(module, "public", 0):
            return self.reply(200, meth, {"allow": 0, "err": "session expired or missing",
                                          "msg": "session expired or missing", "sact": "out"})
        self.request.ses = ses if session is not None else ""
        self.request.session = session or {}
        data = {"par": self.request.httprequest.args.to_dict(), "post": post,
                "ses": self.request.ses, "s": self.request.session,
                "user_id": self.request.session.get("my_user_id", 0)}
        with printcapture.capture():
            returned = code.function()(data)
        if self.request.answer is None and isinstance(returned, dict):
            self.request.answer = {"allow": 1, "msg": "ok", **returned}
        return self.reply(200, meth, self.request.answer or {"allow": 0, "msg": "no answer"})

    def refuse(self, status, reason):
        """A 4xx in the API's JSON: allow 0, msg and err the reason."""
        return self.reply(status, self.meth_named(), {"allow": 0, "msg": reason, "err": reason})

    def unavailable(self, exc):
        """HTTP 200 (Flyton's kicdev.server.js throws on anything else), allow 0,
        ``retry_after`` in the JSON and in a Retry-After header."""
        meth = self.meth_named()
        reason = "the service is unavailable for now, try again later"
        more = {"unavailable": 1, "retry_after": exc.retry_after}
        if isinstance(exc, OutcomeUnknown):
            # a write went out and its outcome never came back: a blind retry may repeat it
            reason = "the outcome of a write is unknown (the database did not confirm it)"
            more["unknown"] = 1
        answer = self.reply(200, meth, {"allow": 0, "msg": reason, "err": reason, **more})
        answer.headers.append(("Retry-After", str(exc.retry_after)))
        return answer

    def meth_named(self):
        """``meth`` of the query string when it is a method's name, else "" (also for a bad query string)."""
        try:
            meth = self.request.httprequest.args.get("meth", "")
        except UnicodeError:
            return ""
        if not API_RE.match(meth) and meth not in PUBLIC_BUILTINS:
            return ""
        return meth

    def reply(self, status, meth, answer):
        body = answer_json(meth, answer)
        return self.cors(http.Answer(body, status, "application/json", http.NO_STORE))

    def cors(self, response):
        allowed = config["cors_origins"]
        if not allowed:
            return response
        origin = self.request.httprequest.headers.get("Origin")
        if origin and (origin in allowed or "*" in allowed):
            response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                                 *CORS_HEADERS.items()]
        return response


def answer_json(meth, answer):
    """The JSON text of an answer; a value JSON has no type for (a Decimal, a date) as its text."""
    server = {"method": meth, **answer, "server_ver": inphms.__version__}
    return json.dumps({"server": server}, ensure_ascii=False, default=str)


def read_json(httprequest):
    """The JSON body as a dict with ``info`` and ``input`` objects (empty body: both empty).

    Anything else is the client's mistake: ``badrequest.BadRequest`` (400).
    """
    raw = read_body(httprequest)
    if not raw.strip():
        post = {}
    else:
        post = badrequest.parse_json(raw)
    if not isinstance(post, dict):
        raise badrequest.BadRequest("bad JSON body: the body must be a JSON object")
    if not isinstance(post.setdefault("info", {}), dict):
        raise badrequest.BadRequest("bad JSON body: info must be an object")
    if not isinstance(post.setdefault("input", {}), dict):
        raise badrequest.BadRequest("bad JSON body: input must be an object")
    return post


def read_body(httprequest):
    """The request's body; RequestEntityTooLarge when it is over ``limit_request``.

    werkzeug checks a declared Content-Length against the limit, but cuts a
    chunked body (no length) at the limit without a word: that one is read
    here, one byte past the limit, to tell.
    """
    environ = httprequest.wrapped.environ
    if environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
        return httprequest.get_data(cache=False)
    limit = config["limit_request"]
    raw = environ["wsgi.input"].read(limit + 1 if limit else -1)
    if limit and len(raw) > limit:
        raise werkzeug.exceptions.RequestEntityTooLarge()
    return raw
