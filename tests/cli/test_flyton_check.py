"""`python inphms-bin flyton check PATH`: a Flyton project read, never run, and
every place inphms runs differently listed by file and line with its change."""
import os
import subprocess
import sys
import textwrap

from tests.support.server import BIN


def check(path):
    return subprocess.run([sys.executable, BIN, "flyton", "check", str(path)],
                          capture_output=True, text=True, timeout=60)


def write(root, rel, text):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(text).lstrip())


def test_a_clean_project_exits_0(tmp_path):
    write(tmp_path, "client/app/start.py", """
        from tools.sql import *
        from admin.page import *


        def main(data):
            w = find_in_sql({'table': 'ses', 'fld': 'id', 'val': data["ses"], 'where': {'is_active': 1}})
            return page(data) + str(len(w or []))
    """)
    write(tmp_path, "client/app/admin/page.py", """
        def page(data):
            return "<p>page</p>"
    """)
    write(tmp_path, "server/apis/api/api_x.py", """
        from tools.kicapi import *


        def api_x(data):
            print(',"n":1')
            api_ok({"k": 2})
    """)
    r = check(tmp_path)
    assert (r.returncode, r.stdout) == (0, f"{tmp_path}: nothing to change\n"), r.stdout + r.stderr


def test_every_rule_names_file_line_and_change(tmp_path):
    write(tmp_path, "client/app/start.py", """
        import os, sys
        from tools.db_ses import *

        count = 0


        def main(data):
            global count
            count += 1
            print("content-type: text/html")
            qs = os.environ.get("QUERY_STRING")
            w = find_in_sql({'table': 'ses', 'where': 'is_active>0'})
            insert_to_sql({'table': 'ses', 'set': f"id='{data['ses']}'"})
            body = input()
            sys.exit(0)
    """)
    write(tmp_path, "client/app/other.py", """
        def page(data):
            return ""
    """)
    write(tmp_path, "server/apis/api/api_y.py", """
        from tools.kicapi import mores


        def api_y(data):
            exit()
    """)
    write(tmp_path, "server/apis/cgi.py", "unsessions = ['api_login']\n")
    write(tmp_path, "server/apis/api/api_login.py", "def api_login(data):\n    pass\n")
    write(tmp_path, "server/apis/tools/sql.py", "def find_in_sql(r):\n    pass\n\n\ndef kic_old(r):\n    pass\n")
    r = check(tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    expect = [
        "client/app/other.py:1: no main(data) -> ?app=other runs main(data)",
        "client/app/start.py:8: global count in a function -> a module stays loaded",
        "client/app/start.py:10: prints a content-type header -> remove the line",
        "client/app/start.py:11: reads the CGI environment (os.environ)",
        "client/app/start.py:11: names the CGI variable QUERY_STRING",
        "client/app/start.py:12: find_in_sql() is defined by no import under inphms",
        "client/app/start.py:13: insert_to_sql() is defined by no import under inphms",
        "client/app/start.py:14: reads the request body from stdin (input())",
        "client/app/start.py:15: exit() ends the request thread",
        "server/apis/api/api_login.py:1: not served: inphms's login serves",
        "server/apis/api/api_y.py:1: inphms's tools.kicapi has no mores" if not has("kicapi", "mores") else "",
        "server/apis/api/api_y.py:5: exit() ends the request thread",
        "server/apis/cgi.py:1: not run by inphms -> nothing: inphms's page and API dispatchers do its "
        "work; its unsessions list is the api_no_session option",
        "server/apis/tools/sql.py:1: not used (a copy of an inphms tool) -> nothing: inphms's tools.sql "
        "serves; it has no kic_old",
    ]
    for want in filter(None, expect):
        assert any(line.startswith(want) for line in lines), (want, r.stdout)
    if not text_where():
        assert any(line.startswith("client/app/start.py:12: a text 'where' is refused") for line in lines)
        assert any(line.startswith("client/app/start.py:13: a text 'set' is refused") for line in lines)
    assert lines[-1].endswith("file(s)")


def test_not_a_project_is_a_usage_error(tmp_path):
    r = check(tmp_path)
    assert r.returncode == 2 and "not a Flyton project" in r.stderr
    r = subprocess.run([sys.executable, BIN, "flyton", "run", "x"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage: inphms-bin flyton check PATH" in r.stderr


def has(tool, name):
    import importlib
    return hasattr(importlib.import_module("inphms.tools." + tool), name)


def text_where():
    from inphms.modules.flyton_check import text_where_taken
    return text_where_taken()
