"""tools.kiclang: txt() over the addons' client/lang/<lang>.json dictionaries."""
import json
import logging
import os
import re
import threading

import pytest

import inphms.http
import inphms.tools.kiclang
from inphms.config import config
from inphms.modules.module import SERVER_WIDE_PATH, Addon, read_manifest
from inphms.tools.kiclang import lang_dic, reset_lang_cache, txt
from tests.support.client import new_session, request


@pytest.fixture
def addons(tmp_path):
    """mk(name, {lang: dict or raw text}) writes a real addon; use(*addons) loads them."""
    old_addons, old_lang = inphms.http.root.addons, config["lang"]

    def mk(name, dics):
        path = tmp_path / name
        (path / "client" / "lang").mkdir(parents=True)
        (path / "__manifest__.py").write_text(repr({"name": name, "depends": ["web"]}))
        for lang, d in dics.items():
            raw = d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)
            (path / "client" / "lang" / f"{lang}.json").write_text(raw, encoding="utf-8")
        return Addon(name, str(path), read_manifest(str(path)))

    def use(*loaded, lang="he"):
        inphms.http.root.setup(loaded)
        config["lang"] = lang

    mk.use = use
    yield mk
    inphms.http.root.setup(old_addons)
    config["lang"] = old_lang
    reset_lang_cache()


def web_addon():
    path = os.path.join(SERVER_WIDE_PATH, "web")
    return Addon("web", path, read_manifest(path))


def test_spaces_around_each_part_are_kept(addons):
    addons.use(addons("a1", {"he": {"Save": "שמירה", "Total": "סך הכל"}}))
    assert txt("  Save ") == "  שמירה "
    assert txt("\n Total\t") == "\n סך הכל\t"
    assert txt("Total", ": ", "Save") == "סך הכל: שמירה"
    assert txt(" Total ", "Save  ") == " סך הכל שמירה  "


def test_flytons_helpers_txt1_txtdic_txtgetprop_load_dictionary(addons):
    addons.use(addons("a1", {"he": {"Save": "שמירה", "Total": "סך הכל"}}))
    from tools.kiclang import load_dictionary, txt1, txtDic, txtGetProp
    assert txt1("  Save ") == "  שמירה " and txt1("Nope") == "Nope"
    assert txtDic("Total") == "סך הכל" and txtDic(" Total") == " Total"
    assert txtGetProp("  word1 word2   ") == ("  ", "   ", "word1 word2")
    assert txtGetProp("x") == ("", "", "x") and txtGetProp("   ") == ("   ", "", "")
    assert load_dictionary() == {"Save": "שמירה", "Total": "סך הכל"}
    assert txt("Save", city="x") == "שמירה"      # Flyton's txt takes keywords and ignores them


def test_unknown_text_comes_back_unchanged(addons):
    addons.use(addons("a1", {"he": {"Save": "שמירה", "Total": ""}}))
    assert txt("Save me") == "Save me"
    assert txt("save") == "save"
    assert txt("Total") == "Total"          # an empty translation counts as none
    assert txt("") == "" and txt("   ") == "   "
    assert txt() == ""
    assert txt(None, "Save", 5) == "שמירה5"


def test_a_later_addon_overrides_an_earlier_one(addons):
    a1 = addons("a1", {"he": {"Save": "שמור", "Back": "חזרה"}})
    a2 = addons("a2", {"he": {"Save": "שמירה"}})
    addons.use(a1, a2)
    assert txt("Save", "|", "Back") == "שמירה|חזרה"
    addons.use(a2, a1)
    assert txt("Save", "|", "Back") == "שמור|חזרה"


def test_the_config_language_picks_the_dictionary(addons):
    a1 = addons("a1", {"he": {"Save": "שמירה"}, "fr": {"Save": "Enregistrer", "Back": "Retour"}})
    a2 = addons("a2", {"fr": {"Back": "Précédent"}})
    addons.use(a1, a2, lang="he")
    assert txt("Save", " ", "Back") == "שמירה Back"
    config["lang"] = "fr"
    assert txt("Save", " ", "Back") == "Enregistrer Précédent"
    config["lang"] = "en"
    assert txt("Save", " ", "Back") == "Save Back"
    assert lang_dic("fr") == {"Save": "Enregistrer", "Back": "Précédent"}
    assert lang_dic("de") == {}


def test_dictionary_keys_are_matched_without_their_spaces(addons):
    addons.use(addons("a1", {"he": {" Edit ": "עריכה"}}))
    assert txt("Edit") == "עריכה" and txt(" Edit") == " עריכה"


def test_dictionaries_are_read_once_until_reset(addons, tmp_path):
    addons.use(addons("a1", {"he": {"Save": "שמור"}}))
    assert txt("Save") == "שמור"
    (tmp_path / "a1" / "client" / "lang" / "he.json").write_text(
        json.dumps({"Save": "שמירה"}), encoding="utf-8")
    assert txt("Save") == "שמור"
    reset_lang_cache()
    assert txt("Save") == "שמירה"


def test_new_addons_bring_their_own_dictionaries(addons):
    a1 = addons("a1", {"he": {"Save": "שמור"}})
    a2 = addons("a2", {"he": {"Save": "שמירה"}})
    addons.use(a1)
    assert txt("Save") == "שמור"
    addons.use(a1, a2)
    assert txt("Save") == "שמירה"


def test_a_broken_dictionary_is_logged_and_the_others_still_count(addons, caplog):
    a1 = addons("a1", {"he": {"Save": "שמירה", "Back": "חזרה"}})
    bad = addons("bad", {"he": '{"Save": "oops",'})
    listy = addons("listy", {"he": '["Save", "Back"]'})
    odd = addons("odd", {"he": {"Back": ["not", "text"], "Edit": "עריכה"}})
    with caplog.at_level(logging.WARNING, logger="inphms.tools.kiclang"):
        addons.use(a1, bad, listy, odd)
        assert txt("Save", " ", "Back", " ", "Edit") == "שמירה חזרה עריכה"
    logged = caplog.text
    assert "addon bad: dictionary he.json skipped" in logged
    assert "addon listy: dictionary he.json skipped: not a JSON object" in logged
    assert "addon odd: dictionary he.json: 'Back' is not a text" in logged


def test_a_language_code_cannot_reach_other_files(addons, tmp_path):
    a1 = addons("a1", {"he": {"Save": "שמירה"}})
    (tmp_path / "a1" / "evil.json").write_text(json.dumps({"Save": "pwned"}))
    for lang in ("../../evil", "..", "he/../../../evil", "", None):
        addons.use(a1, lang=lang)
        assert txt("Save") == "Save"


def test_a_language_that_is_not_text_gives_no_dictionary(addons):
    addons.use(addons("a1", {"he": {"Save": "שמירה"}}))
    assert txt("Save") == "שמירה"       # "he" is in the cache now
    for lang in (["he"], {"he": 1}, 7):
        assert lang_dic(lang) == {}


def test_many_threads_at_once_get_the_same_answer(addons):
    addons.use(addons("a1", {"he": {"Save": "שמירה"}}))
    reset_lang_cache()
    start = threading.Barrier(16)
    got = []

    def one():
        start.wait()
        got.append(txt(" Save "))

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [" שמירה "] * 16


def test_the_web_addon_speaks_hebrew(addons):
    addons.use(web_addon())
    he = lang_dic("he")
    for text in ("Dashboard", "Logout", "Users", "Login", "User name", "Password", "Save",
                 "Cancel", "View", "Edit", "Back"):
        assert text in he, text
    for text, word in he.items():
        assert re.search("[\u05d0-\u05ea]", word), text
        assert word == word.strip() and text == text.strip()
    assert txt("Dashboard") == "לוח בקרה"
    assert txt("User name", ": ") == "שם משתמש: "


def test_star_import_gives_txt():
    ns = {}
    exec("from tools.kiclang import *", ns)
    assert {n for n in ns if n != "__builtins__"} == {"txt", "txt1", "txtDic", "txtGetProp", "load_dictionary",
                                                     "lang_dic", "reset_lang_cache"}
    import tools.kiclang
    assert tools.kiclang is inphms.tools.kiclang


# the session's language, through the real server

LANGPAGE = '''from tools.kiclang import *


def langpage(data):
    h = f"""<div id=said>{txt(" Save ", "|", "Back", "|", "Dashboard")}</div>"""
    return h
'''


def said(port, ses):
    status, _, body = request(port, "GET", f"/cgi-bin/p?app=start&r=1&ses={ses}&rpage=langpage")
    html = body.decode()
    assert status == 200, html
    return re.search(r"<div id=said>(.*?)</div>", html, re.S).group(1)


def test_the_session_language_wins_over_the_config_language(server_factory, tmp_path):
    root = tmp_path / "addons"
    (root / "langapp" / "client" / "admin").mkdir(parents=True)
    (root / "langapp" / "client" / "lang").mkdir()
    (root / "langapp" / "__manifest__.py").write_text(repr({"name": "langapp", "depends": ["web"]}))
    (root / "langapp" / "client" / "admin" / "langpage.py").write_text(LANGPAGE)
    (root / "langapp" / "client" / "lang" / "he.json").write_text(
        json.dumps({"Back": "אחורה"}), encoding="utf-8")
    (root / "langapp" / "client" / "lang" / "fr.json").write_text(
        json.dumps({"Save": "Enregistrer", "Back": "Retour"}), encoding="utf-8")
    server = server_factory(addons_path=str(root), lang="fr")
    he = new_session(server.config_path, data={"lang": "he"})
    en = new_session(server.config_path, data={"lang": "en"})
    plain = new_session(server.config_path)
    # web's he.json gives Save and Dashboard; langapp (loaded later) overrides Back
    assert said(server.port, he) == " שמירה |אחורה|לוח בקרה"
    assert said(server.port, en) == " Save |Back|Dashboard"
    assert said(server.port, plain) == " Enregistrer |Retour|Dashboard"
