"""The files `scaffold` writes; NAME and TITLE are replaced by the addon's name."""

MANIFEST = """{
    'name': 'NAME',
    'version': '1.0',
    'depends': ['web'],
    'summary': 'TITLE',
    'dashboard': [{'title': 'TITLE', 'explain': 'The rows of NAME', 'page': 'NAME'}],
}
"""

TABLES = """-- tables.sql of the NAME addon
--
-- Table NAME: the rows of TITLE.
--   id          int, from 5000
--   name        the name of the row
--   is_active   1 = active, 0 = switched off (rows are never deleted)
--   created_at  set by the database
--   updated_at  set by the database on every change
--   data        JSON: anything a row needs that not every row needs
--
-- To drop the table (from the SQL shell: python inphms-bin db sql):
-- DROP TABLE NAME;

CREATE TABLE NAME (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(255) DEFAULT NULL,
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  data json DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB AUTO_INCREMENT=5000 DEFAULT CHARSET=utf8mb4;

-- Example rows:
-- INSERT INTO NAME (name, data) VALUES ('first', '{"color": "red"}');
-- INSERT INTO NAME (name, data) VALUES ('second', '{}');
-- INSERT INTO NAME (name, is_active) VALUES ('old one', 0);
"""

PAGE = '''# NAME.py - the rows of NAME, and a form that adds one through the API
from tools.kicutil import *
from tools.kiclang import *
from tools.sql import *


def NAME(data):
    h = f"""<div id=NAME>
        <h2 class=mb-3>{txt("TITLE")}</h2>
        <div class="input-group mb-3">
            <input id=NAME_name class=form-control placeholder="{esc(txt("Name"))}">
            <button id=NAME_add class="btn btn-primary" onclick=NAME_save()>{txt("Add")}</button>
        </div>
        <p id=NAME_msg></p>
        <table id=NAME_tab class="table table-sm">
        <tr><th>id</th><th>{txt("Name")}</th></tr>
    """
    id = ""
    for w in sql_order({"table": "NAME", "id": id}):
        id = w["id"]
        h += f"""<tr id=row{w["id"]}><td>{w["id"]}</td><td>{esc(w["name"])}</td></tr>
        """
    h += """</table>
    </div>
    <script src="/lib/NAME.js"></script>
    """
    return h
'''

API = '''# api_NAME_save.py - add a row to NAME
from tools.kicapi import *
from tools.sql import *


def api_NAME_save(data):
    i = data["post"]["input"]
    name = str(i.get("name", "")).strip()
    if not name:
        api_err("name is missing")
        return
    t = insert_to_sql({"table": "NAME", "set": {"name": name}, "data": {"by": data["user_id"]}})
    if not t["status"]:
        api_err(t["err"])
        return
    api_ok({"id": t["id"]})
'''

JS = """/* NAME.js - the NAME page */

async function NAME_save() {
    let name = document.getElementById("NAME_name").value;
    let r = await call_server("api_NAME_save", {"name": name});
    let s = r["server"];
    if (!s["allow"]) {
        document.getElementById("NAME_msg").innerText = s["msg"];
        return;
    }
    document.location.reload();
}
"""

CRON = '''# NAME_tick.py - a cron job of NAME: counts the active rows into gen (key1 NAME_count)
from tools.sql import *

every = 3600


def NAME_tick(data):
    n = count_in_sql({"table": "NAME", "is_active": 1})[0]
    w = find_in_sql({"table": "gen", "fld": "key1", "val": "NAME_count", "what": "id"})
    if not w:
        insert_to_sql({"table": "gen", "set": {"key1": "NAME_count", "val1": str(n)}})
        return
    insert_to_sql({"table": "gen", "id": w["id"], "set": {"val1": str(n)}})
'''

TEST = '''"""Tests of the NAME addon against the real server, started in a subprocess."""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def api(port, meth, inp, ses=""):
    status, body = call(port, "POST", f"/cgi-bin/api?meth={meth}",
                        {"info": {"ses": ses}, "input": inp})
    return json.loads(body)["server"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("NAME")
    port = free_port()
    conf = work / "inphms.conf"
    conf.write_text("[options]\\nhttp_interface = 127.0.0.1\\n"
                    f"http_port = {port}\\naddons_path = {os.path.dirname(ADDON)}\\n"
                    f"data_dir = {work / 'data'}\\nlogfile = {work / 'server.log'}\\n"
                    "max_cron_threads = 0\\n")
    proc = subprocess.Popen([sys.executable, "-m", "inphms", "-c", str(conf)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = proc.stdout.readline()          # the first start prints the admin's password
    password = re.search(r"password (\\S+)", first).group(1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    ses = api(port, "api_login", {"u": "admin", "p": password})["ses"]
    yield {"port": port, "ses": ses, "conf": str(conf)}
    proc.terminate()
    proc.wait(30)
    proc.stdout.close()


def test_api_adds_a_row_the_page_shows(site):
    w = api(site["port"], "api_NAME_save", {"name": "<b>first</b>"}, site["ses"])
    assert w["allow"] == 1 and w["id"] >= 5000
    status, html = call(site["port"], "GET", f"/cgi-bin/p?ses={site['ses']}&rpage=NAME")
    assert status == 200
    assert f"<tr id=row{w['id']}><td>{w['id']}</td><td>&lt;b&gt;first&lt;/b&gt;</td></tr>" in html


def test_api_refuses_an_empty_name(site):
    w = api(site["port"], "api_NAME_save", {"name": " "}, site["ses"])
    assert w["allow"] == 0 and w["msg"] == "name is missing"


def test_cron_job_runs(site):
    r = subprocess.run([sys.executable, "-m", "inphms", "cron", "run", "NAME_tick",
                        "-c", site["conf"]], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
'''

FILES = {
    "__manifest__.py": MANIFEST,
    "tables.sql": TABLES,
    "client/admin/NAME.py": PAGE,
    "client/lib/NAME.js": JS,
    "server/apis/api/api_NAME_save.py": API,
    "server/apis/tools/cron/NAME_tick.py": CRON,
    "tests/test_NAME.py": TEST,
}
