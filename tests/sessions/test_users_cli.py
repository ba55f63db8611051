"""`python inphms-bin user ...` and the admin-only users page."""
import re
import subprocess
import sys

from tests.support.site import start_site
from tests.support.client import api, request
from tests.support.server import BIN


def cli(config_path, *args, stdin=""):
    return subprocess.run([sys.executable, BIN, "user", *args, "-c", config_path],
                          input=stdin, capture_output=True, text=True, timeout=60)


def login(site, u, p):
    return api(site.port, "api_login", {"u": u, "p": p})[1]


def test_add_list_passwd_off(site):
    out = cli(site.config_path, "add", "dana", "--roles", "admin,owner", "--first", "Dana",
              "--last", "Levi", stdin="dana-pw-1\n")
    assert out.returncode == 0, out.stderr
    assert "user dana added" in out.stdout
    listing = cli(site.config_path, "list").stdout
    line = next(l for l in listing.splitlines() if " dana " in l)
    assert "admin,owner" in line and "Dana Levi" in line
    assert "dana-pw-1" not in listing
    assert login(site, "dana", "dana-pw-1")["allow"] == 1
    assert cli(site.config_path, "passwd", "dana", stdin="dana-pw-2\n").returncode == 0
    assert login(site, "dana", "dana-pw-1")["allow"] == 0
    ses = login(site, "dana", "dana-pw-2")["ses"]
    assert cli(site.config_path, "off", "dana").returncode == 0
    assert login(site, "dana", "dana-pw-2")["allow"] == 0
    assert request(site.port, "GET", f"/p?ses={ses}")[0] == 302       # its sessions ended


def test_bad_usage(site):
    assert cli(site.config_path, "add").returncode == 2
    assert cli(site.config_path, "frob", "x").returncode == 2
    out = cli(site.config_path, "add", "dup-user", stdin="pw-dup-1\n")
    assert out.returncode == 0
    again = cli(site.config_path, "add", "dup-user", stdin="pw-dup-2\n")
    assert again.returncode == 1 and "exists" in again.stderr
    assert cli(site.config_path, "add", "nopw", stdin="\n").returncode == 1
    assert cli(site.config_path, "passwd", "nosuchuser", stdin="x\n").returncode == 1


def test_password_never_comes_from_the_command_line(site):
    out = cli(site.config_path, "add", "argpw", "--password", "oops")
    assert out.returncode == 2 and "no such option: --password" in out.stderr


def test_first_admin_is_printed_once(tmp_path):
    first = start_site(tmp_path / "one")
    try:
        assert re.fullmatch(r"[A-Za-z0-9_-]{16}", first.admin_password)
        first.server.stop()
        again = start_site(tmp_path / "one")         # same data_dir: admin exists
        assert again.admin_password == ""
        again.server.stop()
    finally:
        first.server.stop()


def test_users_page_is_for_admins_only(site):
    cli(site.config_path, "add", "plain", "--roles", "owner", stdin="plain-pw-1\n")
    plain = login(site, "plain", "plain-pw-1")["ses"]
    status, _, body = request(site.port, "GET", f"/p?ses={plain}&rpage=users")
    assert status == 200 and b"no alw" in body and b"userstab" not in body
    admin = login(site, "admin", site.admin_password)["ses"]
    status, _, body = request(site.port, "GET", f"/p?ses={admin}&rpage=users")
    assert status == 200 and b"id=userstab" in body
    assert b"<td>plain</td>" in body and b"<td>admin</td>" in body
    ids = [int(i) for i in re.findall(rb"<tr id=u(\d+)>", body)]
    assert ids == sorted(ids) and len(ids) >= 2
