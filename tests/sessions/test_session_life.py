"""The life of a session: ttl, the throttled touch, the token's shape."""
import concurrent.futures
import json

import pytest

from inphms import sql
from inphms.auth import sessions
from inphms.config import config
from tests.support.client import api, new_session, request
from tests.support.db import query
from tests.support.site import site_on


@pytest.fixture(scope="module", params=["sqlite", "mysql"])
def short_site(request, tmp_path_factory):
    yield from site_on(request, tmp_path_factory.mktemp("short"), ses_ttl=600)


def updated(site, ses):
    rows = query(site.config_path,
                 "SELECT updated_at, CURRENT_TIMESTAMP FROM ses WHERE id = %s", (ses,))
    return rows[0]


def age(site, ses, seconds):
    """Move the session's last use `seconds` into the past (by the database's clock)."""
    if site.engine == "mysql":
        query(site.config_path,
              "UPDATE ses SET updated_at = CURRENT_TIMESTAMP - INTERVAL %s SECOND WHERE id = %s",
              (seconds, ses))
        return
    query(site.config_path,
          "UPDATE ses SET updated_at = datetime('now', %s) WHERE id = %s",
          (f"-{seconds} seconds", ses))


def seconds_idle(site, ses):
    import datetime
    then, now = updated(site, ses)
    return (datetime.datetime.fromisoformat(str(now))
            - datetime.datetime.fromisoformat(str(then))).total_seconds()


def test_touch_is_at_most_once_a_minute(short_site):
    ses = new_session(short_site.config_path)
    age(short_site, ses, 30)
    before = updated(short_site, ses)[0]
    for _ in range(5):
        assert request(short_site.port, "GET", f"/p?ses={ses}")[0] == 200
    assert updated(short_site, ses)[0] == before        # 30 s idle: not touched
    age(short_site, ses, 90)
    assert request(short_site.port, "GET", f"/p?ses={ses}")[0] == 200
    assert seconds_idle(short_site, ses) < 5            # 90 s idle: touched now


def test_session_idle_past_ses_ttl_is_refused_and_ended(short_site):
    ses = new_session(short_site.config_path)
    age(short_site, ses, 590)
    assert request(short_site.port, "GET", f"/p?ses={ses}")[0] == 200
    age(short_site, ses, 610)
    status, headers, _ = request(short_site.port, "GET", f"/p?ses={ses}")
    assert status == 302
    assert api(short_site.port, "api_server_time", ses=ses)[1]["sact"] == "out"
    assert query(short_site.config_path, "SELECT is_active FROM ses WHERE id = %s",
                 (ses,))[0][0] == 0


@pytest.mark.parametrize("token", ["", "short", "A" * 83, "A" * 85, "A" * 83 + "'",
                                   "' OR 1=1 --" + "A" * 73, "A" * 83 + "\u05d0", None, 12345])
def test_a_token_of_the_wrong_shape_is_refused_before_any_query(token):
    saved = dict(config.options)
    try:
        # a database nobody listens on: any query would raise SqlError
        config.options.update(db_engine="mysql", db_host="127.0.0.1", db_port=9, db_user="x")
        sql.close_all()
        sql.configure(config)
        assert sessions.load(token) is None
    finally:
        config.options.clear()
        config.options.update(saved)
        sql.close_all()


def test_add2ses_from_32_threads_keeps_every_key(short_site):
    from tools.db_ses import add2ses
    from tests.support.client import db_config
    ses = new_session(short_site.config_path, data={"keep": 1})
    sql.configure(db_config(short_site.config_path))
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda n: add2ses(ses, {f"k{n}": n}), range(32)))
    assert all(r["status"] == 1 for r in results)
    data = json.loads(query(short_site.config_path, "SELECT data FROM ses WHERE id = %s",
                            (ses,))[0][0])
    assert data == {"keep": 1, **{f"k{n}": n for n in range(32)}}
    assert add2ses("bad token", {"x": 1}) is False       # Flyton: no such session


def test_add2ses_from_32_threads_on_mariadb(mariadb, tmp_path):
    from inphms.modules.module import load_addons
    from tools.db_ses import add2ses, create_new_ses
    saved = dict(config.options)
    try:
        config.options.update(mariadb.options(mariadb.create_database()))
        config.options.update(data_dir=str(tmp_path), addons_path=[])
        sql.close_all()
        sql.init_database(config, load_addons(config))
        ses = create_new_ses(4001, {"keep": 1})
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            assert all(r["status"] == 1 for r in pool.map(
                lambda n: add2ses(ses, {f"k{n}": n}), range(32)))
        from tools.sql import get_data
        assert get_data("ses", ses) == {"keep": 1, **{f"k{n}": n for n in range(32)}}
    finally:
        sql.close_all()
        mariadb.drop_database(config["db_name"])
        config.options.clear()
        config.options.update(saved)


def test_page_direction_follows_the_session_language(short_site):
    he = new_session(short_site.config_path, data={"lang": "he"})
    status, _, body = request(short_site.port, "GET", f"/p?ses={he}")
    assert b"<html lang=he dir=rtl>" in body
    en = new_session(short_site.config_path)
    status, _, body = request(short_site.port, "GET", f"/p?ses={en}")
    assert b"<html lang=en dir=ltr>" in body
