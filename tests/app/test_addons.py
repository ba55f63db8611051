"""Addon loading: order, dependencies, installable, SIGHUP and --dev reload."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from inphms import errors
from inphms.config import configmanager
from inphms.modules import module
from tests.support.apps import copy_addons
from tests.support.client import api, request
from tests.support.server import BIN


def make_addon(root, name, depends=("web",), **more):
    folder = os.path.join(str(root), name)
    os.makedirs(folder)
    manifest = {"name": name, "version": "1", "depends": list(depends), **more}
    with open(os.path.join(folder, "__manifest__.py"), "w") as handle:
        handle.write(repr(manifest))
    return folder


def order(root):
    cfg = configmanager()
    cfg.parse_config(["--addons-path", str(root)])
    return [a.name for a in module.loading_order(module.find_addons(cfg))]


def test_a_folder_that_is_no_addon_is_skipped_with_a_log_line(tmp_path, caplog):
    os.makedirs(tmp_path / "notanaddon" / "client")
    with caplog.at_level("WARNING", logger="inphms.modules.module"):
        assert "notanaddon" not in order(tmp_path)
    assert f"folder {tmp_path / 'notanaddon'} on the addons path is skipped: it has no __manifest__.py" \
        in caplog.text


def make_tree(root, name):
    os.makedirs(os.path.join(str(root), name, "client", "app", "admin"))
    os.makedirs(os.path.join(str(root), name, "server", "apis", "api"))
    return os.path.join(str(root), name)


def test_a_flyton_tree_is_found_as_a_path_entry_or_inside_one(tmp_path):
    make_tree(tmp_path / "parent", "shop")
    tree = make_tree(tmp_path, "fly")
    cfg = configmanager()
    cfg.parse_config(["--addons-path", f"{tmp_path / 'parent'},{tree}"])
    found = module.find_addons(cfg)
    assert found["shop"].flyton and found["fly"].flyton and found["fly"].path == tree
    assert found["shop"].depends == ["web"]
    assert [a.name for a in module.loading_order(found)] == ["base", "web", "fly", "shop"]


def test_two_flyton_trees_are_refused_naming_both(tmp_path):
    make_tree(tmp_path, "one")
    make_tree(tmp_path, "two")
    cfg = configmanager()
    cfg.parse_config(["--addons-path", str(tmp_path)])
    addons = module.loading_order(module.find_addons(cfg))
    with pytest.raises(errors.StartupError, match=r"more than one Flyton tree on the addons path \(one, two\)"):
        module.extend_flyton_path(addons)


def test_depends_order_after_base_and_web(tmp_path):
    make_addon(tmp_path, "aaa", depends=["zzz"])
    make_addon(tmp_path, "zzz", depends=["web"])
    make_addon(tmp_path, "mmm", depends=["base"])
    make_addon(tmp_path, "off", installable=0)
    os.makedirs(tmp_path / "notanaddon")
    names = order(tmp_path)
    assert names[:2] == ["base", "web"]
    assert names.index("zzz") < names.index("aaa")
    assert "off" not in names and "notanaddon" not in names


def test_missing_dependency_stops_startup_naming_both(tmp_path):
    make_addon(tmp_path, "shop", depends=["stock"])
    with pytest.raises(errors.StartupError, match=r"shop \(needs stock\)"):
        order(tmp_path)
    result = subprocess.run([sys.executable, BIN, "--addons-path", str(tmp_path),
                             "--data-dir", str(tmp_path / "data")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "missing addon dependencies: shop (needs stock)" in result.stderr


def test_cycle_stops_startup_naming_the_cycle(tmp_path):
    make_addon(tmp_path, "one", depends=["two"])
    make_addon(tmp_path, "two", depends=["three"])
    make_addon(tmp_path, "three", depends=["one"])
    with pytest.raises(errors.StartupError, match="addon dependency cycle: one -> two -> three -> one"):
        order(tmp_path)


def test_an_addon_tool_is_in_the_tools_namespace(tmp_path):
    code = textwrap.dedent(f"""
        import inphms, inphms.tools
        from inphms.config import configmanager
        from inphms.modules import module
        cfg = configmanager()
        cfg.parse_config(["--addons-path", {copy_addons(tmp_path)!r}])
        module.load_addons(cfg)
        from tools.db_appone import *
        import tools.db_appone, inphms.tools.db_appone
        assert tools.db_appone is inphms.tools.db_appone
        print(appone_hello())
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "hi from the appone tool", result.stderr


PAGE = '''
public = 1


def {name}(data):
    return "<p id={name}>{text}</p>"
'''

API = '''
from tools.kicapi import *

public = 1


def {name}(data):
    api_ok({{"text": "{text}"}})
'''

LOOP = textwrap.dedent("""
    import http.client, json, sys, time
    port, limit = int(sys.argv[1]), float(sys.argv[2])
    ok = failed = 0
    end = time.monotonic() + limit
    while time.monotonic() < end and ok + failed < 20000:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/cgi-bin/api?meth=ping", body="{}")
            resp = conn.getresponse()
            resp.read()
            ok += resp.status == 200
            failed += resp.status != 200
            conn.close()
        except Exception as exc:
            failed += 1
            print(repr(exc), file=sys.stderr)
    print(ok, failed)
""")


def test_new_addon_goes_live_on_sighup_without_dropping_a_request(server_factory, tmp_path):
    addons = copy_addons(tmp_path)
    server = server_factory(addons_path=addons)
    assert api(server.port, "api_fresh")[0] == 404
    client = subprocess.Popen([sys.executable, "-c", LOOP, str(server.port), "6"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)           # pacing on purpose: the load runs on the first image a while
    folder = make_addon(addons, "fresh", depends=["appone"])
    os.makedirs(os.path.join(folder, "client", "admin"))
    os.makedirs(os.path.join(folder, "server", "apis", "api"))
    with open(os.path.join(folder, "client", "admin", "freshpage.py"), "w") as handle:
        handle.write(PAGE.format(name="freshpage", text="fresh page"))
    with open(os.path.join(folder, "server", "apis", "api", "api_fresh.py"), "w") as handle:
        handle.write(API.format(name="api_fresh", text="fresh api"))
    server.signal(signal.SIGHUP)
    server.wait_log("HTTP service", count=2)
    out, err = client.communicate(timeout=60)
    ok, failed = map(int, out.split())
    assert failed == 0 and ok > 50, err
    status, answer = api(server.port, "api_fresh")
    assert status == 200 and answer["text"] == "fresh api"
    status, _, body = request(server.port, "GET", "/cgi-bin/p?rpage=freshpage")
    assert status == 200 and b"<p id=freshpage>fresh page</p>" in body


def test_dev_reload_picks_up_a_changed_page(server_factory, tmp_path):
    addons = copy_addons(tmp_path)
    folder = make_addon(addons, "devaddon", depends=["web"])
    os.makedirs(os.path.join(folder, "client", "admin"))
    path = os.path.join(folder, "client", "admin", "devpage.py")
    with open(path, "w") as handle:
        handle.write(PAGE.format(name="devpage", text="first"))
    server = server_factory("--dev", "reload", addons_path=addons)
    pid = server.pid
    assert b">first<" in request(server.port, "GET", "/p?rpage=devpage")[2]
    server.wait_log("dev reload: watching")
    with open(path, "w") as handle:
        handle.write(PAGE.format(name="devpage", text="second"))
    server.wait_log("devpage.py changed: reloading")
    server.wait_log("HTTP service", count=2)
    assert b">second<" in request(server.port, "GET", "/p?rpage=devpage")[2]
    assert server.pid == pid


def test_without_dev_reload_a_change_waits_for_sighup(server_factory, tmp_path):
    addons = copy_addons(tmp_path)
    folder = make_addon(addons, "devaddon", depends=["web"])
    os.makedirs(os.path.join(folder, "client", "admin"))
    path = os.path.join(folder, "client", "admin", "devpage.py")
    with open(path, "w") as handle:
        handle.write(PAGE.format(name="devpage", text="first"))
    server = server_factory(addons_path=addons)
    assert b">first<" in request(server.port, "GET", "/p?rpage=devpage")[2]
    with open(path, "w") as handle:
        handle.write(PAGE.format(name="devpage", text="second"))
    # a window, with its reason: 2.5 s puts the new file's mtime past the
    # second of the first (a cached module is checked to the second) and is
    # two looks of the dev watcher (1 s), which this server must not have
    time.sleep(2.5)
    assert b">first<" in request(server.port, "GET", "/p?rpage=devpage")[2]
    server.signal(signal.SIGHUP)
    server.wait_log("HTTP service", count=2)
    assert b">second<" in request(server.port, "GET", "/p?rpage=devpage")[2]
