"""Static files of /lib and /pages, merged over the addons, with no way out."""
import os

import pytest

from tests.support.client import request


def get(server, path, headers=None):
    return request(server.port, "GET", path, headers=headers)


def test_later_addon_overrides_a_lib_file(app_server):
    status, headers, body = get(app_server, "/lib/over.txt")
    assert (status, body) == (200, b"two\n")
    assert ("static file /lib/over.txt of addon apptwo overrides the one of addon appone"
            in app_server.log())
    assert get(app_server, "/lib/bootstrap.min.css")[0] == 200      # web's files still there
    assert get(app_server, "/lib/app.css")[0] == 200                # appone's own file


@pytest.mark.parametrize("path", ["/pages/enter/?via=relog", "/pages/enter?via=relog"])
def test_pages_enter_leads_to_the_login_page(app_server, path):
    # where Flyton's kicdev.server.js sends a browser whose session is over
    status, headers, _ = get(app_server, path)
    assert status == 302 and headers["Location"] == "/pages/login/?via=relog"
    assert get(app_server, "/pages/enter/other")[0] == 404


def test_content_types(app_server):
    assert get(app_server, "/lib/app.css")[1]["Content-Type"].startswith("text/css")
    assert "javascript" in get(app_server, "/lib/bootstrap.bundle.min.js")[1]["Content-Type"]
    assert get(app_server, "/pages/hello/")[1]["Content-Type"].startswith("text/html")


def test_pages_folder_serves_index_html(app_server):
    status, headers, body = get(app_server, "/pages/hello/")
    assert status == 200 and b"id=hello" in body
    status, headers, _ = get(app_server, "/pages/hello")
    assert status == 301 and headers["Location"].endswith("/pages/hello/")
    assert get(app_server, "/pages/hello/index.html")[0] == 200


def test_etag_last_modified_and_304(app_server):
    status, headers, _ = get(app_server, "/pages/hello/")
    assert headers["ETag"] and headers["Last-Modified"]
    assert get(app_server, "/pages/hello/", {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(app_server, "/pages/hello/", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", [
    "/lib/../__manifest__.py", "/lib/%2e%2e/__manifest__.py", "/lib/..%2f__manifest__.py",
    "/lib/%2e%2e%2f%2e%2e%2finphms.conf", "/pages/..%2f..%2fserver/apis/api/api_echo.py",
    "/lib//etc/passwd", "/lib/%2fetc%2fpasswd", "/lib/.hidden", "/pages/hello/../../lib/app.css",
    "/lib/nosuch.css", "/pages/nosuch/", "/lib/", "/lib/escape.txt", "/pages/escape/",
])
def test_no_way_out_of_the_addon(app_server, path):
    status, _, body = get(app_server, path)
    assert status == 404, path
    assert b"root:" not in body and b"SECRET" not in body


@pytest.fixture(scope="module", autouse=True)
def links_out(app_server):
    """Symlinks inside an addon's static folder that point outside of it."""
    addons = app_server.options["addons_path"]
    secret = os.path.join(app_server.workdir, "secret.txt")
    with open(secret, "w") as handle:
        handle.write("SECRET\n")
    lib = os.path.join(addons, "appone", "client", "lib")
    os.symlink(secret, os.path.join(lib, "escape.txt"))
    os.symlink(app_server.workdir, os.path.join(addons, "appone", "client", "pages", "escape"))
    hidden = os.path.join(lib, ".hidden")
    with open(hidden, "w") as handle:
        handle.write("SECRET\n")
