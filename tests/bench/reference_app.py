"""The benchmark's reference: the same dashboard page and API call in plain Flask.

    gunicorn -w 1 --threads 8 -b 127.0.0.1:PORT 'reference_app:create_app()'

It does, request for request, the work inphms does for the benchmark
(tests/bench/run.py), on the same MariaDB database and the same `ses` rows:

- ``GET /cgi-bin/p?app=start&ses=TOKEN&rpage=dashboard``: one session lookup
  by primary key (the query of inphms/sessions.py, with its throttled touch:
  ``updated_at`` is written at most once a minute per session, not per
  request), then the dashboard filled in from a template with the session's
  token and user name: byte for byte the HTML inphms renders for a logged-in
  user (run.py makes the template from inphms's page and checks the answer
  before measuring), with the same security headers.
- ``POST /cgi-bin/api?meth=api_bench_save`` with ``{"info": {"ses": TOKEN},
  "input": {"n": N}}``: the same session lookup, then the atomic JSON merge of
  ``add2ses`` (one ``UPDATE ... SET data = JSON_SET(...)``, as inphms/tools/sql.py
  merges plain keys) and the same JSON answer.

PyMySQL, one connection per thread, opened on first use and kept.  The
database comes from the environment: BENCH_DB_HOST, BENCH_DB_PORT,
BENCH_DB_USER, BENCH_DB_PASSWORD, BENCH_DB_NAME; BENCH_SERVER_VER is the
``server_ver`` of the answers (inphms's version, so the answers have the same
size) and BENCH_PAGE_TEMPLATE the dashboard's template file.  Flask is imported by ``create_app()`` only: the Flyton CGI script of
tests/bench/cgi/ imports this module for the same queries and HTML without
paying for Flask.
"""
import html
import json
import os
import re
import threading
import urllib.parse

import pymysql
from pymysql.constants import CLIENT

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{84}$")
TOUCH_EVERY = 60
SES_TTL = 86400
LOGIN_PAGE = "/pages/login/"

LOAD = ("SELECT user_id, data, TIMESTAMPDIFF(SECOND, updated_at, CURRENT_TIMESTAMP) FROM ses "
        "WHERE id = %s AND is_active = 1")
TOUCH = "UPDATE ses SET updated_at = CURRENT_TIMESTAMP WHERE id = %s"
EXPIRE = "UPDATE ses SET is_active = 0 WHERE id = %s"
MERGE = ("UPDATE `ses` SET `data` = JSON_SET(IF(JSON_TYPE(`data`) = 'OBJECT', `data`, '{{}}'), {sets}) "
         "WHERE `id` = %s")
PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "Cache-Control": "no-store",
}


# database
def connect(env=os.environ):
    """A new PyMySQL connection as inphms opens them (autocommit, utf8mb4, UTC, found rows)."""
    return pymysql.connect(host=env["BENCH_DB_HOST"], port=int(env["BENCH_DB_PORT"]),
                           user=env["BENCH_DB_USER"], password=env["BENCH_DB_PASSWORD"],
                           database=env["BENCH_DB_NAME"], charset="utf8mb4", autocommit=True,
                           client_flag=CLIENT.FOUND_ROWS,
                           connect_timeout=10, init_command="SET time_zone = '+00:00'")


def load_session(conn, token):
    """The session's data with my_user_id, or None: inphms/sessions.py's load()."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    with conn.cursor() as cur:
        cur.execute(LOAD, (token,))
        row = cur.fetchone()
        if row is None:
            return None
        user_id, data, idle = row
        idle = int(idle or 0)
        if idle > SES_TTL:
            cur.execute(EXPIRE, (token,))
            return None
        if idle >= TOUCH_EVERY:
            cur.execute(TOUCH, (token,))
    data = dict(json.loads(data or "{}"))
    data["my_user_id"] = user_id
    return data


def merge_session(conn, token, obj):
    """add2ses(): merge obj into ses.data in one UPDATE, as inphms does for plain keys and values."""
    params = []
    for k, v in obj.items():
        j = json.dumps(v, ensure_ascii=False, default=str, allow_nan=False)
        if not PLAIN_KEY.fullmatch(k):
            raise ValueError("the reference merges plain keys and values only")
        params += [f'$."{k}"', j]
    sets = ", ".join(["%s, JSON_EXTRACT(%s, '$')"] * len(obj))
    with conn.cursor() as cur:
        n = cur.execute(MERGE.format(sets=sets), params + [token])
    if not n:
        return {"status": 0, "err": "no such session"}
    return {"status": 1, "id": token}


# the page
def page_template(env=os.environ):
    """The dashboard as a str.format template: {ses} (URL-quoted) and {name} (escaped).

    run.py writes it from the page inphms rendered for a logged-in user (its
    braces doubled, the session token and the user's name made fields), so the
    reference answers byte for byte what inphms answers, whatever the web
    addon's layout is today.
    """
    with open(env["BENCH_PAGE_TEMPLATE"], encoding="utf-8") as handle:
        return handle.read()


def dashboard_html(template, ses, s):
    return template.format(ses=urllib.parse.quote_plus(ses), name=html.escape(str(s.get("uname", ""))))


def api_answer(meth, answer, version):
    return json.dumps({"server": {"method": meth, **answer, "server_ver": version}},
                      ensure_ascii=False)


# the Flask app
def create_app():
    from flask import Flask, Response, redirect, request

    app = Flask(__name__)
    template = page_template()
    local = threading.local()
    version = os.environ.get("BENCH_SERVER_VER", "0")

    def run(work):
        """work(conn) on this thread's connection; a lost connection is opened again once."""
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect()
        try:
            return work(conn)
        except pymysql.err.OperationalError:
            conn.close()
            conn = local.conn = connect()
            return work(conn)

    def secure(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    def reply(status, meth, answer):
        return secure(Response(api_answer(meth, answer, version), status,
                               mimetype="application/json"))

    @app.route("/cgi-bin/p", methods=["GET", "POST"])
    def page():
        ses = request.args.get("ses", "")
        s = run(lambda conn: load_session(conn, ses))
        if s is None:
            return secure(redirect(LOGIN_PAGE, 302))
        rpage = request.args.get("rpage") or s.get("page") or "dashboard"
        if rpage != "dashboard":
            return secure(Response("There is no such page.", 404, mimetype="text/html"))
        return secure(Response(dashboard_html(template, ses, s), 200, mimetype="text/html"))

    @app.post("/cgi-bin/api")
    def api():
        meth = request.args.get("meth", "")
        if meth != "api_bench_save":
            return reply(404, meth, {"allow": 0, "msg": "unknown method"})
        try:
            post = json.loads(request.get_data() or b"{}")
            info = post.get("info") or {}
            n = (post.get("input") or {}).get("n", 0)
        except (ValueError, AttributeError) as exc:
            return reply(400, meth, {"allow": 0, "msg": f"bad JSON body: {exc}"})
        ses = info.get("ses") or info.get("uses") or ""

        def work(conn):
            if load_session(conn, ses) is None:
                return None
            return merge_session(conn, ses, {"n": n})

        t = run(work)
        if t is None:
            return reply(200, meth, {"allow": 0, "err": "session expired or missing",
                                     "msg": "session expired or missing", "sact": "out"})
        if not t["status"]:
            return reply(200, meth, {"allow": 0, "msg": t["err"], "err": t["err"]})
        return reply(200, meth, {"allow": 1, "msg": "ok"})

    return app
