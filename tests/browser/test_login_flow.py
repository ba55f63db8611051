"""The whole path in a real headless Chromium: login, dashboard, page, API, logout.

Debian's chromium, driven by playwright (never a browser playwright downloads).
The dashboard screenshot goes to tests/.run/screenshots/.
"""
import os
import re
import shutil

import pytest

from tests.support.browser import chromium

from tests.support.site import start_site

SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".run",
                     "screenshots")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = start_site(tmp_path_factory.mktemp("browser"))
    yield s
    s.server.stop()


def log_in(page, site):
    page.goto(f"http://127.0.0.1:{site.port}/")
    page.wait_for_url("**/pages/login/")
    page.fill("#u", "admin")
    page.fill("#p", site.admin_password)
    page.click("#loginbtn")
    page.wait_for_url(re.compile(r".*/cgi-bin/p\?app=start&r=1&ses=[A-Za-z0-9_-]{84}$"))
    return page.url.rsplit("ses=", 1)[1]


def test_login_page_api_logout(browser, site, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ses = log_in(page, site)
    assert page.evaluate("sessionStorage.getItem('ses')") == ses
    assert page.inner_text("#dashtitle") == "Dashboard"
    assert page.inner_text("#user") == "Admin"
    os.makedirs(SHOTS, exist_ok=True)
    shot = os.path.join(SHOTS, "dashboard.png")
    page.screenshot(path=shot, full_page=True)
    shutil.copy(shot, tmp_path / "dashboard.png")
    assert os.path.getsize(shot) > 5000

    # a kicbutton of a kiccard leads to another page
    page.click("#cards .card:has-text('Server') button")
    page.wait_for_url(re.compile(r".*rpage=serverinfo.*"))
    # that page's call_server() API answers on the page
    page.click("#asktime")
    page.wait_for_function("document.getElementById('servertime').innerText.length > 0")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page.inner_text("#servertime"))

    # log out: back to the login page, and the old token is worth nothing
    page.click("#logout")
    page.wait_for_url("**/pages/login/")
    assert page.evaluate("sessionStorage.getItem('ses')") is None
    page.goto(f"http://127.0.0.1:{site.port}/cgi-bin/p?app=start&r=1&ses={ses}")
    assert page.url.endswith("/pages/login/")
    assert errors == []
    context.close()


def test_wrong_password_shows_the_message(browser, site):
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{site.port}/pages/login/")
    page.fill("#u", "admin")
    page.fill("#p", "wrong password")
    page.click("#loginbtn")
    page.wait_for_selector("#loginmsg:not(.d-none)")
    assert page.inner_text("#loginmsg") == "wrong user or password"
    assert page.url.endswith("/pages/login/")
    page.close()


def test_two_tabs_have_two_sessions(browser, site):
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    one = log_in(first, site)
    two = log_in(second, site)
    assert one != two
    assert first.evaluate("sessionStorage.getItem('ses')") == one
    assert second.evaluate("sessionStorage.getItem('ses')") == two
    # logging out in one tab leaves the other one working
    first.click("#logout")
    first.wait_for_url("**/pages/login/")
    second.reload()
    assert second.inner_text("#dashtitle") == "Dashboard"
    context.close()
