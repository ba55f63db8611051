"""Helpers of the products addon's tests: a real server running this addon."""
import html
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

from tests.support.site import start_site
from tests.support.client import api, request
from tests.support.server import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = os.path.dirname(HERE)


def start_products(workdir, **options):
    """A server on a fresh SQLite database with a copy of this addon; no cron threads
    (the tests run prod_stats themselves, with `cron run`)."""
    addons = os.path.join(str(workdir), "addons")
    shutil.copytree(ADDON, os.path.join(addons, "products"),
                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
    options.setdefault("max_cron_threads", 0)
    site = start_site(os.path.join(str(workdir), "site"), addons_path=addons, **options)
    assert site.admin_password, "the first start did not print the admin's password"
    return site


def login(site, user="admin", password=None):
    """A new session of user (a token)."""
    s = api(site.port, "api_login", {"u": user, "p": password or site.admin_password})[1]
    assert s["allow"] == 1, s
    return s["ses"]


def call(site, ses, meth, inp):
    """The "server" dict of an API answer (status 200 asserted)."""
    status, s = api(site.port, meth, inp, ses)
    assert status == 200, s
    return s


def save(site, ses, **inp):
    return call(site, ses, "api_prod_save", inp)


def new_prod(site, ses, name, sku, price="1.00", **attr):
    """Save a new product; its id."""
    s = save(site, ses, name=name, sku=sku, price=price, attr=[[k, v] for k, v in attr.items()])
    assert s["allow"] == 1, s
    return s["prod_id"]


def page(site, ses, rpage, **par):
    """(status, body text) of a page."""
    q = urllib.parse.urlencode({"app": "start", "r": 1, "ses": ses, "rpage": rpage, **par})
    status, _, body = request(site.port, "GET", "/cgi-bin/p?" + q)
    return status, body.decode()


def get_url(site, url):
    """(status, body text) of a page URL as written in a page (HTML-escaped)."""
    status, _, body = request(site.port, "GET", html.unescape(url))
    return status, body.decode()


def row_ids(body):
    """The product ids of the list's rows, in page order."""
    return [int(i) for i in re.findall(r"<tr id=p(\d+)>", body)]


def button_url(body, label):
    """The URL of the kicbutton with this label, or None."""
    m = re.search(r"""onclick="kicgo\('([^']*)','[^']*'\)">""" + re.escape(label) + "</button>", body)
    if not m:
        return None
    return m.group(1)


def add_user(site, name, password, roles):
    """`python inphms-bin user add NAME --roles ROLES`, the password on stdin."""
    out = subprocess.run([sys.executable, BIN, "user", "add", name, "--roles", roles,
                          "-c", site.config_path],
                         input=password + "\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def run_cron(site, job):
    """`python inphms-bin cron run JOB`; the finished process."""
    return subprocess.run([sys.executable, BIN, "cron", "run", job, "-c", site.config_path],
                          capture_output=True, text=True, timeout=60)
