"""The API: ``POST /cgi-bin/api?meth=api_x`` (and ``/api``), Flyton's call_server.

The body is ``{"info": {"ses": .., "uses": ..}, "input": {...}}``.  ``meth``
names ``server/apis/api/api_x.py`` and its function ``api_x(data)``.  Every
answer is JSON of one shape, the one Flyton's cgi.py prints::

    {"server": {"method": .., "allow": 1|0, "msg": .., ...more, "server_ver": ..}}

The function answers as Flyton code does, in any mix: it prints members of
that object (``print(',"allow":1')``, ``print(f',"ses":"{s}"')``), calls
``api_ok()`` / ``api_err()``, or returns a dict; they are merged in the
order they came, a later key replacing an earlier one (as the browser's
JSON.parse does with the text cgi.py prints).  Printed text that is not
such members gives an answer saying so, and a log line naming the function.

Sessions follow cgi.py: the session is ``info.ses`` (the tab's
sessionStorage).  A method not in ``api_no_session`` (Flyton's
``unsessions``) and not ``public = 1`` runs only with a live one; without
it the answer is ``allow 0, sact "out"`` (the browser goes to the login
page), and a live session named by ``info.uses`` (the URL's) is ended,
since its tab has lost its storage.

Bad JSON (not UTF-8, nested too deep, a lone surrogate, ``input`` or
``info`` not an object: ``inphms.badrequest``) or a missing ``meth``: 400;
an unknown method: 404; a body over ``limit_request``: 413, all with that
JSON body.  An exception in the function answers status 200 with ``allow
0`` (Flyton's client throws on any other status instead of reading the
answer); the traceback goes to the log only.  A database that cannot
answer now (``sql.Unavailable``) gets status 200 too, with ``{"allow": 0,
"unavailable": 1, "retry_after": N, ...}`` and a ``Retry-After: N`` header.
"""
import json
import logging

import werkzeug.exceptions

import inphms
from inphms import answers, badrequest, printcapture
from inphms.auth import sessions, tokens
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
            return self.cors(answers.Answer(b"", 204, headers=answers.NO_STORE))
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
            _logger.exception("api %s (%s) failed", meth, code.path)
            return self.reply(200, meth, {"allow": 0, "msg": "internal error", "err": "internal error"})

    def call(self, meth, code, post):
        module = code.load()
        info = post["info"]
        ses = info.get("ses") or ""
        session = sessions.load(ses) if isinstance(ses, str) else None
        public = meth in config["api_no_session"] or getattr(module, "public", 0)
        if session is None and not public:
            end_stale_session(info.get("uses"))
            return self.reply(200, meth, {"allow": 0, "err": "method needs login",
                                          "msg": "session expired or missing", "sact": "out"})
        self.request.ses = ses if session is not None else ""
        self.request.session = session or {}
        data = {"par": self.request.httprequest.args.to_dict(), "post": post,
                "ses": self.request.ses, "s": self.request.session,
                "user_id": self.request.session.get("my_user_id", 0)}
        with printcapture.capture() as printed:
            returned = code.function()(data)
        try:
            answer = merge_answer(printed, returned)
        except ValueError as exc:
            _logger.error("api %s (%s): what it printed is not members of the JSON answer: %s",
                          meth, code.path, exc)
            answer = {"allow": 0, "msg": f"{meth} printed text that is not part of a JSON answer",
                      "err": "bad printed answer"}
        return self.reply(200, meth, answer)

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
        return self.cors(answers.Answer(body, status, "application/json", answers.NO_STORE))

    def cors(self, response):
        allowed = config["cors_origins"]
        if not allowed:
            return response
        origin = self.request.httprequest.headers.get("Origin")
        if origin and (origin in allowed or "*" in allowed):
            response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                                 *CORS_HEADERS.items()]
        return response


NO_ANSWER = {"allow": 0, "msg": "no answer"}


def merge_answer(printed, returned):
    """The answer from what the function printed, its api_ok/api_err and its return.

    ``printed`` is the capture buffer: text, and the dicts api_ok/api_err
    put there in their turn.  ValueError when a run of text is not members
    of a JSON object.
    """
    answer, text = {}, []
    for item in printed:
        if isinstance(item, dict):
            answer.update(printed_members("".join(text)))
            text = []
            answer.update(item)
            continue
        text.append(item)
    answer.update(printed_members("".join(text)))
    if isinstance(returned, dict):
        answer = {"allow": 1, "msg": "ok", **answer, **returned} if "allow" not in answer \
            else {**answer, **returned}
    return answer or dict(NO_ANSWER)


def printed_members(text):
    """``,"a":1 ,"b":"x"`` (cgi.py's way: members printed one by one) as a dict."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
        if isinstance(whole, dict):
            return whole
    if not text.startswith(","):
        text = "," + text
    try:
        members = json.loads('{"\\u0000":0' + text + "}")
    except ValueError as exc:
        raise ValueError(f"{exc.msg} in {text[:200]!r}") from None
    members.pop("\u0000", None)
    return members


def end_stale_session(uses):
    """The URL's session (``info.uses``) of a tab without its storage is ended, as cgi.py does."""
    if not tokens.valid_session_token(uses):
        return
    sessions.end_live(uses, "the tab lost its session storage (info.ses) but its URL named the session")
    _logger.info("session %s... ended: a call came with it in the URL (uses) but not in the tab's storage (ses)",
                 uses[:8])


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
