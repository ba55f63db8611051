"""A Flyton project's own browser side in real headless Chromium: its login page
(btoa(password)), its dashboard through start.py, its call_server, and the
sact "out" redirect, on the test tree tests/app/flyproj (SQLite and MariaDB)."""
import re

import pytest

from tests.support.flyton import flyproj_server, run_sql
from tests.support.browser import chromium


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module", params=["sqlite", "mysql"])
def fly(request, tmp_path_factory):
    yield from flyproj_server(request, tmp_path_factory, "flyb")


DASHBOARD = re.compile(r".*/cgi-bin/p\?app=start&r=\d+&ses=[A-Za-z0-9_-]{84}$")


def test_flyton_login_page_dashboard_api_and_sact_out(browser, fly):
    context = browser.new_context()
    page = context.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"http://127.0.0.1:{fly.port}/pages/login/fly_login.html")
    page.fill("#username", "fly")
    page.fill("#password", "fly123")
    page.click("#connect")
    page.wait_for_url(DASHBOARD)
    ses = page.url.rsplit("ses=", 1)[1]
    assert page.evaluate("sessionStorage.getItem('ses')") == ses
    assert page.inner_text("#flytitle") == "Hello fly"
    assert run_sql(fly, "SELECT sis FROM users WHERE username = 'fly'")[0][0].startswith("scrypt:")

    # the API that prints its answer, then the one that calls api_ok
    page.fill("#note", "note <one>")
    page.click("#savenote")
    page.wait_for_function("document.getElementById('answer').innerText.includes('saved')")
    assert '"saved":10' in page.inner_text("#answer")
    page.click("#keepqr")
    page.wait_for_function("document.getElementById('answer').innerText.includes('length')")
    assert '"length":10' in page.inner_text("#answer")
    page.reload()
    assert page.inner_text("#lastnote") == "note <one>"

    # the tab loses its storage: the next call is sent out, to /pages/enter/ and on to login
    page.evaluate("sessionStorage.removeItem('ses')")
    page.click("#savenote")
    page.wait_for_url(re.compile(r".*/pages/login/\?via=relog$"))
    assert dialogs == ["session over: log in again"]
    assert run_sql(fly, "SELECT is_active FROM ses WHERE id = %s", (ses,))[0][0] == 0
    page.goto(f"http://127.0.0.1:{fly.port}/cgi-bin/p?app=start&r=1&ses={ses}")
    assert page.locator("#noses").count() == 1
    assert errors == []
    context.close()


def test_inphms_login_page_logs_a_base64_user_into_the_tree(browser, fly):
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{fly.port}/pages/enter/")
    page.wait_for_url("**/pages/login/")
    page.fill("#u", "fly2")
    page.fill("#p", "fly123")
    page.click("#loginbtn")
    page.wait_for_url(DASHBOARD)
    assert page.inner_text("#flytitle") == "Hello fly2"
    page.close()
