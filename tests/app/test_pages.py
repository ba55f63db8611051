"""Pages: /cgi-bin/p?app=..&ses=..&rpage=.. against the real server."""
import concurrent.futures
import json
import re
from html.parser import HTMLParser

import pytest

from tests.support.client import new_session, request

SECURITY = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


def page(server, query, path="/cgi-bin/p"):
    status, headers, body = request(server.port, "GET", f"{path}?{query}")
    return status, headers, body.decode()


def by_id(html, ident):
    """The text inside the element with id=ident."""
    class Finder(HTMLParser):
        depth, text = 0, []

        def handle_starttag(self, tag, attrs):
            if self.depth or dict(attrs).get("id") == ident:
                self.depth += 1

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.text.append(data)
    finder = Finder()
    finder.text = []
    finder.feed(html)
    return "".join(finder.text) if finder.text else None


@pytest.fixture(scope="module")
def ses(app_server):
    return new_session(app_server.config_path, user_id=4321, data={"lang": "en", "k": "v"})


def test_page_with_session_has_header_body_and_footer(app_server, ses):
    for path in ("/cgi-bin/p", "/p"):
        status, headers, html = page(app_server, f"app=start&r=1&ses={ses}&rpage=showdata&x=1",
                                     path)
        assert status == 200, html
        assert headers["Content-Type"].startswith("text/html")
        assert html.startswith("<!DOCTYPE html>")
        assert 'id=topbar' in html and "<main id=body" in html and "id=footer" in html
        assert html.rstrip().endswith("</html>")
        data = json.loads(by_id(html, "data"))
        assert data["rpage"] == "showdata" and data["app"] == "start"
        assert data["ses"] == ses and data["x"] == "1" and data["r"] == "1"
        assert data["s"] == {"lang": "en", "k": "v", "my_user_id": 4321}
        for name, value in SECURITY.items():
            assert headers[name] == value
        assert "frame-ancestors" in headers["Content-Security-Policy"]


def test_post_form_parameters_reach_data(app_server, ses):
    status, _, body = request(app_server.port, "POST", f"/cgi-bin/p?ses={ses}&rpage=showdata",
                              body="name=tea&price=3",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    data = json.loads(by_id(body.decode(), "data"))
    assert status == 200 and data["name"] == "tea" and data["price"] == "3"


def test_default_rpage_is_the_session_page_else_dashboard(app_server):
    ses = new_session(app_server.config_path, data={"page": "pubpage"})
    status, _, html = page(app_server, f"app=start&ses={ses}")
    assert status == 200 and by_id(html, "pub")
    ses = new_session(app_server.config_path)
    status, _, html = page(app_server, f"app=start&ses={ses}")
    assert status == 200 and by_id(html, "dashboard") is not None


def test_other_app_uses_its_folder_and_its_header_override(app_server):
    status, _, html = page(app_server, "app=shop&rpage=front")
    assert status == 200
    assert by_id(html, "front") == "shop front of app shop"
    assert by_id(html, "shophead") == "shop header from apptwo"     # apptwo's header for app=shop
    assert "id=footer" in html                                     # admin's footer as fallback


def test_public_page_needs_no_session_and_uses_an_addon_tool(app_server):
    status, _, html = page(app_server, "app=start&rpage=pubpage")
    assert status == 200
    assert by_id(html, "pub") == "public page hi from the appone tool"


@pytest.mark.parametrize("ses_value", ["", "nope", "A" * 84, "A" * 83 + "!"])
def test_private_page_without_valid_session_goes_to_login(app_server, ses_value):
    status, headers, _ = page(app_server, f"app=start&ses={ses_value}&rpage=showdata")
    assert status == 302
    assert headers["Location"].endswith("/pages/login/")


def test_inactive_session_goes_to_login(app_server):
    ses = new_session(app_server.config_path, active=0)
    status, headers, _ = page(app_server, f"app=start&ses={ses}&rpage=showdata")
    assert status == 302


@pytest.mark.parametrize("query", [
    "rpage=../etc/passwd", "rpage=%2e%2e", "rpage=%2e%2e%2fboom", "rpage=show.data",
    "rpage=ShowData", "rpage=" + "a" * 65, "rpage=nosuchpage", "rpage=header", "rpage=footer",
    "rpage=_x", "rpage=1abc", "app=../admin&rpage=pubpage", "app=Start&rpage=pubpage",
    "app=a.b&rpage=pubpage", "app=nosuchapp&rpage=pubpage", "rpage=skipped",
    "rpage=pub%00page", "rpage=pubpage%0a",
])
def test_bad_or_unknown_names_get_the_404_page(app_server, ses, query):
    status, headers, html = page(app_server, f"ses={ses}&{query}")
    assert status == 404
    assert by_id(html, "title") == "Page not found"
    assert headers["Cache-Control"] == "no-store"


def test_empty_rpage_is_the_default(app_server, ses):
    status, _, html = page(app_server, f"ses={ses}&rpage=")
    assert status == 200 and by_id(html, "dashboard") is not None


def test_page_exception_is_a_500_page_with_the_trace_in_the_log_only(app_server, ses):
    status, _, html = page(app_server, f"ses={ses}&rpage=boom")
    assert status == 500
    assert by_id(html, "title") == "Server error"
    assert "kaboom-in-page" not in html and "Traceback" not in html
    log = app_server.wait_log("kaboom-in-page")
    assert "Traceback" in log and "page boom of app start failed" in log


def test_printed_output_stays_with_its_own_request(app_server, ses):
    def one(n):
        status, _, html = page(app_server, f"ses={ses}&rpage=printid&n={n}")
        return n, status, by_id(html, "out")

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one, range(32)))
    for n, status, out in results:
        assert status == 200
        assert re.fullmatch(rf"start {n}(\s+{n}){{5}}\s+end {n}", out.strip()), out


def test_page_sees_a_sanitised_environ(app_server, ses):
    status, _, html = page(app_server, f"ses={ses}&rpage=showenv")
    keys = json.loads(by_id(html, "env"))
    assert "REQUEST_METHOD" in keys and "QUERY_STRING" in keys
    assert "wsgi.url_scheme" in keys
    assert not [k for k in keys if k.startswith(("wsgi.input", "werkzeug.socket", "socket"))
                or k in ("wsgi.errors", "werkzeug.request")]


def test_root_redirects_to_the_login_page(app_server):
    status, headers, _ = request(app_server.port, "GET", "/")
    assert status == 302 and headers["Location"].endswith("/pages/login/")
