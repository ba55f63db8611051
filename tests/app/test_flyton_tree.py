"""A Flyton tree as it is (tests/app/flyproj: client/app, server/apis, no manifest)
served by the real server, on SQLite and on MariaDB, beside addons of inphms's layout."""
import concurrent.futures
import json
import os
import re
import signal

import pytest

from tests.support.client import api, request
from tests.support.flyton import B64, add_flyton_user, copy_tree, flyproj_server, run_sql, start


@pytest.fixture(scope="module", params=["sqlite", "mysql"])
def fly(request, tmp_path_factory):
    yield from flyproj_server(request, tmp_path_factory, "fly")


def login(server, u, p):
    return api(server.port, "api_login", {"u": u, "p": p})[1]


@pytest.fixture(scope="module")
def ses(fly):
    s = login(fly, "fly", B64)         # the Flyton page sends btoa(password)
    assert s["allow"] == 1, s
    return s["ses"]


def by_id(html, id):
    m = re.search(rf"<[a-z0-9]+ id={id}[^>]*>(.*?)</", html, re.S)
    return m.group(1) if m else None


def test_the_start_up_log_tells_what_serves(fly):
    log = fly.log()
    assert re.search(r"Flyton tree flyproj at \S+flyproj: client/app is on the import path", log)
    assert re.search(r"addon flyproj: its \S+/server/apis/tools/sql.py is not used: "
                     r"inphms's tools.sql serves instead", log)
    assert "api_login of addon flyproj" in log and "is not served: inphms's login serves" in log
    assert re.search(r"login: api_login of addon base serves", log)
    assert re.search(r"\?app=start runs \S+flyproj/client/app/start.py \(main\(data\)\); the client/admin "
                     r"pages of the addons are served only through it", log)


def test_a_base64_sis_logs_in_and_is_rehashed(fly, ses):
    assert len(ses) == 84
    sis = run_sql(fly, "SELECT sis FROM users WHERE username = 'fly'")[0][0]
    assert sis.startswith("scrypt:") and B64 not in sis
    # after the rehash both forms still log in: the password, and its base64
    assert login(fly, "fly", B64)["allow"] == 1
    assert login(fly, "fly", "fly123")["allow"] == 1
    assert login(fly, "fly", "fly124")["allow"] == 0
    # through inphms's login page: the password itself, on a row never used yet
    assert run_sql(fly, "SELECT sis FROM users WHERE username = 'fly2'")[0][0] == B64
    assert login(fly, "fly2", "wrong")["allow"] == 0
    assert run_sql(fly, "SELECT sis FROM users WHERE username = 'fly2'")[0][0] == B64
    assert login(fly, "fly2", "fly123")["allow"] == 1
    assert run_sql(fly, "SELECT sis FROM users WHERE username = 'fly2'")[0][0].startswith("scrypt:")


def test_start_py_serves_the_dashboard_in_p4web_py_frame(fly, ses):
    status, headers, body = request(fly.port, "GET", f"/cgi-bin/p?app=start&r=309012&ses={ses}")
    html = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert html.startswith("<!DOCTYPE html>")
    for link in ("/lib/styles.css", "/lib/bootstrap.min.css", "/lib/bootstrap.bundle.min.js"):
        assert link in html
    spots = [html.index(x) for x in ("</head>", "id=flyhead", "id=flybody", "id=flytitle", "id=flyfoot")]
    assert spots == sorted(spots)
    assert by_id(html, "flytitle") == "Hello fly" and by_id(html, "flyses") == "84"
    assert request(fly.port, "GET", "/lib/styles.css")[2].startswith(b"/* styles.css")


def test_start_py_checks_the_session_itself(fly):
    for query in ("app=start&r=1", "app=start&ses=" + "x" * 84, "app=start&ses=a'b"):
        status, _, body = request(fly.port, "GET", "/cgi-bin/p?" + query)
        assert status == 200 and b"id=noses" in body and b"id=flytitle" not in body


def test_printed_output_stays_with_its_request(fly):
    def one(n):
        html = request(fly.port, "GET", f"/cgi-bin/p?app=hello&n={n}")[2].decode()
        return by_id(html, "printed"), by_id(html, "returned")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        got = list(pool.map(one, range(48)))
    assert got == [(f"printed {n}", f"returned {n}") for n in range(48)]


def test_printed_api_answer_saves_and_the_page_shows_it(fly, ses):
    note = "it's \"quoted\"'); DROP TABLE ses; -- <b>"
    status, server = api(fly.port, "api_save_note", {"note": note}, ses=ses)
    assert status == 200
    assert (server["allow"], server["saved"], server["note"]) == (1, len(note), note)
    assert server["method"] == "api_save_note" and server["server_ver"]
    html = request(fly.port, "GET", f"/cgi-bin/p?app=start&r=2&ses={ses}")[2].decode()
    assert by_id(html, "lastnote") == "it&#x27;s &quot;quoted&quot;&#x27;); DROP TABLE ses; -- &lt;b&gt;"


def test_api_ok_answer_saves_in_the_session(fly, ses):
    status, server = api(fly.port, "api_keep_qr", {"qr_content": "QR-1234"}, ses=ses)
    assert (server["allow"], server["saved"], server["length"]) == (1, 1, 7)
    data = run_sql(fly, "SELECT data FROM ses WHERE id = %s", (ses,))[0][0]
    assert json.loads(data)["last_qr_raw"] == "QR-1234"


def test_text_set_and_where_as_flyton_writes_them(fly, ses):
    status, server = api(fly.port, "api_fly_tag", {"tag": "green tea"}, ses=ses)
    assert (status, server["allow"], server["val1"]) == (200, 1, "green tea"), server
    # a quote in the value changes the text's form: refused, never run
    status, server = api(fly.port, "api_fly_tag", {"tag": "x' OR '1'='1"}, ses=ses)
    assert (status, server["allow"], server["msg"]) == (200, 0, "not saved"), server
    assert "refused" in server["why"] and "api_fly_tag.py" in server["why"], server
    rows = run_sql(fly, "SELECT val1 FROM gen WHERE key1 = 'fly_tag'")
    assert [r[0] for r in rows] == ["green tea"]


def test_project_tool_and_inphms_tools_serve_one_api(fly, ses):
    status, server = api(fly.port, "api_fly_users", ses=ses)
    assert server["allow"] == 1 and server["hello"] == "hi from db_fly"
    assert {"fly", "fly2"} <= set(server["users"])


def test_a_tab_without_its_storage_is_sent_out_and_its_session_ends(fly):
    uses = login(fly, "fly", "fly123")["ses"]
    body = {"info": {"os": "a", "ses": None, "uses": uses}, "input": {"qr_content": "x"}}
    status, _, raw = request(fly.port, "POST", "/cgi-bin/api?meth=api_keep_qr", body)
    server = json.loads(raw)["server"]
    assert status == 200 and server["sact"] == "out" and server["allow"] == 0
    row = run_sql(fly, "SELECT is_active, data FROM ses WHERE id = %s", (uses,))[0]
    assert row[0] == 0 and "last_qr_raw" not in json.loads(row[1])


def test_the_inphms_layout_serves_beside_the_tree(fly):
    status, _, body = request(fly.port, "GET", "/cgi-bin/p?app=shop&rpage=front")
    assert status == 200 and b"shop header from apptwo" in body
    assert api(fly.port, "api_pub")[1]["pub"] == 1


def test_own_login_with_the_option_and_a_flyton_reload(tmp_path):
    server = start(tmp_path, flyton_login=1)
    try:
        assert re.search(r"login: api_login of addon flyproj serves \(\S+flyproj/server/apis/api/"
                         r"api_login.py\)", server.log())
        add_flyton_user(server, "fly")
        s = login(server, "fly", B64)
        assert (s["login"], s["allow"]) == ("flyproj", 1) and len(s["ses"]) == 84
        # the tree's code is reloaded by SIGHUP as an addon's is
        path = os.path.join(str(tmp_path), "flyproj", "client", "app", "hello.py")
        with open(path, "a") as handle:
            handle.write("\n\ndef main(data):\n    return '<p id=returned>reloaded</p>'\n")
        server.signal(signal.SIGHUP)
        server.wait_log("HTTP service", count=2)
        body = request(server.port, "GET", "/cgi-bin/p?app=hello")[2].decode()
        assert by_id(body, "returned") == "reloaded"
    finally:
        server.stop()


def test_dev_reload_reloads_a_page_of_the_tree(server_factory, tmp_path):
    tree = copy_tree(tmp_path)
    server = server_factory("--dev", "reload", addons_path=tree)
    add_flyton_user(server, "fly")
    ses = login(server, "fly", "fly123")["ses"]
    url = f"/cgi-bin/p?app=start&r=1&ses={ses}"
    assert by_id(request(server.port, "GET", url)[2].decode(), "flyfoot") == "flyproj footer"
    server.wait_log("dev reload: watching")
    path = os.path.join(tree, "client", "app", "admin", "footer.py")
    with open(path, "w") as handle:
        handle.write('def footer(data):\n    print("<footer id=flyfoot>changed footer</footer>")\n')
    server.wait_log("footer.py changed: reloading")
    server.wait_log("HTTP service", count=2)
    assert by_id(request(server.port, "GET", url)[2].decode(), "flyfoot") == "changed footer"
