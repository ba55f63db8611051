"""An addon's copy of tools/db_users.py and tools/db_ses.py cannot change the rules the server applies.

The copies below are what a project could carry: a login that takes any
password, any token taken for a session, every user an admin.  The login
APIs, the session check of every page and API, and the admin check of the
users page are the runtime's (inphms.auth), so they refuse all the same:

- on a real server, where the copies sit in the addon's
  server/apis/tools/ (inphms's tools serve, and the log says so);
- in this process on both engines, in the worst case: the copies *are*
  what ``tools.db_users`` and ``tools.db_ses`` name (``sys.modules``), as if
  the alias had served them.  Flyton code calling the tools then gets the
  copies' answers; the server's answers do not change.
"""
import importlib.util
import json
import sys

import pytest
from werkzeug.test import Client

import inphms.tools
from inphms import http
from inphms.auth import users
from inphms.config import config
from inphms.modules.module import load_addons
from tests.support.site import start_site
from tests.support.sql_fixtures import blank, db  # noqa: F401  (fixtures: both engines)
from tests.support.client import api, request

LOGIN_FOR_ANYONE = '''# a project's db_users.py: every password is right
from tools.sql import *
from tools.db_ses import *


def user_find(u):
    return find_in_sql({"table": "users", "fld": "username", "val": u,
                        "what": "id,username,FirstName,LastName,Roles,sis,is_active,data"})


def user_login(u, p):
    w = user_find(u)
    if not w:
        return {"ok": 0}
    return {"ok": 1, "user": w}


def user_ses(w):
    return create_new_ses(w["id"], {"uname": "copy"})


def user_roles(w):
    return ["admin"]


def user_mfa_pre(id):
    return "copy"


def user_mfa_check(pre, code):
    return {"ok": 1, "user": user_find("admin")}
'''

ANY_TOKEN_IS_A_SESSION = '''# a project's db_ses.py: any token is a session, everybody has every role
import json
import secrets

from tools.sql import *


def check_ses(ses):
    return 1


is_ses = check_ses


def is_ses_role(ses, role):
    return 1


def create_new_ses(user_id, data={}):
    ses = secrets.token_urlsafe(63)
    run_sql("INSERT INTO ses (id, user_id, is_active, data) VALUES (%s, %s, 1, %s)",
            (ses, user_id, json.dumps(data)))
    return ses
'''

FORGED = "F" * 84           # the shape of a token, no row behind it


def shadow_addon(root):
    """An addon carrying the two copies in its server/apis/tools/; its addons folder."""
    addon = root / "addons" / "shadowapp"
    tools_dir = addon / "server" / "apis" / "tools"
    tools_dir.mkdir(parents=True)
    (addon / "__manifest__.py").write_text("{'name': 'shadowapp'}\n")
    (tools_dir / "db_users.py").write_text(LOGIN_FOR_ANYONE)
    (tools_dir / "db_ses.py").write_text(ANY_TOKEN_IS_A_SESSION)
    return root / "addons", tools_dir


def test_a_shadowing_copy_on_a_real_server_changes_no_rule(tmp_path):
    addons, tools_dir = shadow_addon(tmp_path)
    site = start_site(tmp_path / "site", addons_path=str(addons))
    try:
        answer = api(site.port, "api_login", {"u": "admin", "p": "not-the-password"})[1]
        assert (answer["allow"], answer["msg"]) == (0, "wrong user or password")
        assert api(site.port, "api_mfa", {"pre": "copy", "code": "123456"})[1]["allow"] == 0
        assert request(site.port, "GET", f"/p?ses={FORGED}")[0] == 302
        assert api(site.port, "api_server_time", ses=FORGED)[1]["sact"] == "out"
        right = api(site.port, "api_login", {"u": "admin", "p": site.admin_password})[1]
        assert right["allow"] == 1 and len(right["ses"]) == 84
        log = site.server.log()
        for name in ("db_users", "db_ses"):
            assert (f"addon shadowapp: its {tools_dir / (name + '.py')} is not used: "
                    f"inphms's tools.{name} serves instead") in log
    finally:
        site.server.stop()


def load_copy(name, path):
    spec = importlib.util.spec_from_file_location(f"shadowapp_copy_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def shadowed(tmp_path, monkeypatch):
    """The two copies installed as tools.db_ses / tools.db_users (and their inphms.tools names)."""
    addons, tools_dir = shadow_addon(tmp_path)
    # db_users's copy imports tools.db_ses: install that copy first
    for name in ("db_ses", "db_users"):
        copy = load_copy(name, tools_dir / f"{name}.py")
        for key in (f"tools.{name}", f"inphms.tools.{name}"):
            monkeypatch.setitem(sys.modules, key, copy)
        monkeypatch.setattr(inphms.tools, name, copy, raising=False)
    monkeypatch.setitem(config.options, "addons_path", [str(addons)])
    yield tools_dir
    if str(tools_dir) in inphms.tools.__path__:
        inphms.tools.__path__.remove(str(tools_dir))


def call(client, meth, inp=None, ses=""):
    body = {"info": {"os": "a", "ses": ses, "uses": ""}, "input": inp or {}}
    answer = client.post(f"/cgi-bin/api?meth={meth}", data=json.dumps(body),
                         content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["server"]


def test_the_copies_named_as_the_tools_change_no_rule_of_the_server(db, shadowed):
    assert users.add("admin", "right-pw-1", ["admin"])["status"] == 1
    assert users.add("plain", "plain-pw-1", ["owner"])["status"] == 1
    import tools.db_ses
    import tools.db_users
    # the copies are in place: Flyton code calling the tools gets their answers
    assert tools.db_users.user_login("admin", "wrong")["ok"] == 1
    assert tools.db_ses.check_ses(FORGED) == 1 and tools.db_ses.is_ses_role(FORGED, "admin") == 1
    app = http.Application()
    app.setup(load_addons(config))
    client = Client(app)
    for name, password in (("admin", "wrong"), ("plain", "wrong"), ("admin", "plain-pw-1")):
        answer = call(client, "api_login", {"u": name, "p": password})
        assert (answer["allow"], answer["msg"]) == (0, "wrong user or password"), answer
    assert call(client, "api_mfa", {"pre": "copy", "code": "123456"})["allow"] == 0
    assert call(client, "api_server_time", ses=FORGED)["sact"] == "out"
    assert client.get(f"/cgi-bin/p?ses={FORGED}").status_code == 302
    plain = call(client, "api_login", {"u": "plain", "p": "plain-pw-1"})["ses"]
    page = client.get(f"/cgi-bin/p?ses={plain}&rpage=users").get_data()
    assert b"no alw" in page and b"userstab" not in page
    admin = call(client, "api_login", {"u": "admin", "p": "right-pw-1"})["ses"]
    page = client.get(f"/cgi-bin/p?ses={admin}&rpage=users").get_data()
    assert b"id=userstab" in page
