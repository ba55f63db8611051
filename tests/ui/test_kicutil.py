"""tools.kicutil: the markup contract of the page helpers, and kicdev.js."""
import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

import inphms.tools.kicutil
from inphms.tools.kicutil import (cond_but, esc, kic_collapse, kic_date, kic_icon, kic_more, kicbutton,
                                  kicbutton0, kiccard, kicinput, kiclink, kicmenu, kicnav, kicnavbar,
                                  kicselect, kicselect_def, kicselect_o)
from tests.support.server import ROOT

KICDEV_JS = os.path.join(ROOT, "inphms", "addons", "web", "client", "lib", "kicdev.js")

# what a hostile value looks like: it tries to close the attribute, open a
# script, and break out of a JS string in single and double quotes
EVIL = "\"><script>alert('x')</script><b a='"
URL_CHARS = re.compile(r"^[A-Za-z0-9_.~+%&=/?-]+$")
ONCLICK = re.compile(r"^kicgo\('([^']*)','([^']*)'\)$")


class Tags(HTMLParser):
    """Every start tag (name, attrs dict) and the text of a piece of HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(h):
    p = Tags()
    p.feed(h)
    p.close()
    return p


def tags(h, name):
    return [a for t, a in parse(h).tags if t == name]


def params(url):
    """The query of a page URL as a list of (key, value)."""
    parts = urlsplit(url)
    assert parts.path == "/cgi-bin/p"
    return parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)


def button_call(h):
    """(url, [ids]) of the one kicgo() button in h."""
    (b,) = [a for t, a in parse(h).tags if t == "button" and "onclick" in a]
    m = ONCLICK.match(b["onclick"])
    assert m, b["onclick"]
    url, use = m.groups()
    assert URL_CHARS.match(url)
    ids = [unquote(i) for i in use.split(",") if i]
    return url, ids


def assert_safe(h):
    """No script element and no tag that the helpers do not write."""
    names = {t for t, _ in parse(h).tags}
    assert "script" not in names and "b" not in names, h


# kicnav

def test_kicnav_url_is_the_flyton_url():
    assert kicnav("dashboard", "abc") == "/cgi-bin/p?app=start&r=309012&ses=abc&rpage=dashboard"
    assert kicnav("front", "abc", app="shop") == "/cgi-bin/p?app=shop&r=309012&ses=abc&rpage=front"
    assert (kicnav("insview2add1", "abc", {"act": "add", "cont_id": 12, "occ_id": 3})
            == "/cgi-bin/p?app=start&r=309012&ses=abc&rpage=insview2add1&act=add&cont_id=12&occ_id=3")


def test_kicnav_encodes_every_value_and_keeps_the_order():
    more = {"q": "a b&c=d#e/é?", "cust_id": 7, "none": None, "on": True, "off": False,
            "use": "name", EVIL: EVIL}
    url = kicnav(EVIL, EVIL, more, app=EVIL)
    assert URL_CHARS.match(url), url
    assert params(url) == [("app", EVIL), ("r", "309012"), ("ses", EVIL), ("rpage", EVIL),
                           ("q", "a b&c=d#e/é?"), ("cust_id", "7"), ("none", ""),
                           ("on", "1"), ("off", "0"), (EVIL, EVIL)]


@pytest.mark.parametrize("key", ["app", "r", "ses", "rpage"])
def test_kicnav_refuses_to_set_its_own_parameters_twice(key):
    with pytest.raises(ValueError, match=key):
        kicnav("dashboard", "abc", {key: "x"})


# kiclink / kicmenu

def test_kiclink_is_one_link():
    h = kiclink("users", "abc", "<i>Users</i>", "nav-link", {"p": 2})
    (a,) = tags(h, "a")
    assert a == {"class": "nav-link", "href": kicnav("users", "abc", {"p": 2})}
    assert tags(h, "i") == [{}]


def test_kiclink_escapes_its_attributes():
    h = kiclink(EVIL, EVIL, "t", EVIL, {EVIL: EVIL}, app=EVIL)
    assert_safe(h)
    (a,) = tags(h, "a")
    assert a["class"] == EVIL
    assert params(a["href"])[-1] == (EVIL, EVIL)


def test_kicmenu_from_a_dict_marks_the_current_page():
    h = kicnavbar({"dashboard": "Dashboard", "users": "Users"}, "abc", "users")
    (nav,) = tags(h, "nav")
    assert nav == {"id": "kicmenu", "class": "nav nav-pills"}
    a = tags(h, "a")
    assert a[0] == {"id": "menu_dashboard", "class": "nav-link",
                    "href": kicnav("dashboard", "abc")}
    assert a[1] == {"id": "menu_users", "class": "nav-link active", "aria-current": "page",
                    "href": kicnav("users", "abc")}
    assert "".join(parse(h).text).split() == ["Dashboard", "Users"]


def test_kicmenu_from_a_list_with_parameters_and_options():
    items = [("prodlist", "Products", {"cat": 5}), ("front", "Shop")]
    h = kicnavbar(items, "abc", "", {"id": "shopnav", "cls": "nav", "app": "shop"})
    assert tags(h, "nav") == [{"id": "shopnav", "class": "nav"}]
    a = tags(h, "a")
    assert a[0]["href"] == kicnav("prodlist", "abc", {"cat": 5}, "shop")
    assert a[1]["href"] == kicnav("front", "abc", {}, "shop")
    assert [x["class"] for x in a] == ["nav-link", "nav-link"]


def test_kicmenu_escapes_its_attributes():
    h = kicnavbar([(EVIL, "t", {EVIL: EVIL})], EVIL, EVIL, {"id": EVIL, "cls": EVIL, "app": EVIL})
    assert_safe(h)
    assert tags(h, "nav") == [{"id": EVIL, "class": EVIL}]
    (a,) = tags(h, "a")
    assert a["id"] == "menu_" + EVIL and a["class"] == "nav-link active"
    assert params(a["href"]) == [("app", EVIL), ("r", "309012"), ("ses", EVIL),
                                 ("rpage", EVIL), (EVIL, EVIL)]


# kicbutton / kicbutton0

def test_kicbutton_markup():
    h = kicbutton("custactive", "abc", "click for new", "btn btn-secondary btn-sm",
                  {"cont_id": 12, "cust_id": 7, "act": "new"})
    assert h == ("<button type=\"button\" class=\"btn btn-secondary btn-sm\" onclick=\"kicgo("
                 "'/cgi-bin/p?app=start&amp;r=309012&amp;ses=abc&amp;rpage=custactive"
                 "&amp;cont_id=12&amp;cust_id=7&amp;act=new','')\">click for new</button>")
    (b,) = tags(h, "button")
    assert b["type"] == "button" and b["class"] == "btn btn-secondary btn-sm"
    url, ids = button_call(h)
    assert url == kicnav("custactive", "abc", {"cont_id": 12, "cust_id": 7, "act": "new"})
    assert ids == []


@pytest.mark.parametrize("use", ["name,price", "name/price", "name, price", ["name", "price"]])
def test_kicbutton_use_names_the_elements_and_stays_out_of_the_url(use):
    url, ids = button_call(kicbutton("prodsave", "abc", "Save", "btn", {"prod_id": 3, "use": use}))
    assert ids == ["name", "price"]
    assert params(url)[-1] == ("prod_id", "3")
    assert "use" not in dict(params(url))


def test_kicbutton_title_is_inserted_as_given():
    h = kicbutton("x", "abc", "<b>Go</b> &amp; more", "btn")
    assert tags(h, "b") == [{}]
    assert "".join(parse(h).text) == "Go & more"


def test_kicbutton_escapes_every_attribute_carrying_argument():
    odd = "a,b'c\"d"
    h = kicbutton(EVIL, EVIL, "t", EVIL, {EVIL: EVIL, "use": [EVIL, odd]}, app=EVIL)
    assert_safe(h)
    (b,) = tags(h, "button")
    assert b["class"] == EVIL
    url, ids = button_call(h)
    assert ids == [EVIL, odd]
    assert params(url) == [("app", EVIL), ("r", "309012"), ("ses", EVIL), ("rpage", EVIL),
                           (EVIL, EVIL)]


def test_kicbutton0_is_a_script_src_tag_not_inline_code():
    h = kicbutton0()
    assert h == '<script src="/lib/kicdev.js"></script>'
    p = parse(h)
    assert p.tags == [("script", {"src": "/lib/kicdev.js"})] and "".join(p.text) == ""
    assert os.path.isfile(KICDEV_JS)


# kiccard

def test_kiccard_as_in_the_seed():
    h = kiccard("Manage contracts Data", "", "Edit and manage customer renew contracts", "View",
                "abc", "insview")
    p = parse(h)
    assert [t for t, _ in p.tags] == ["div", "div", "h5", "span", "div", "p", "button"]
    assert p.tags[0][1] == {"class": "card"}
    assert p.tags[2][1] == {"class": "mb-0"} and p.tags[5][1] == {"class": "card-text"}
    assert p.tags[6][1]["class"] == "btn btn-primary"
    text = [t.strip() for t in p.text if t.strip()]
    assert text == ["Manage contracts Data", "Edit and manage customer renew contracts", "View"]
    assert button_call(h) == (kicnav("insview", "abc"), [])


def test_kiccard_options_shape_the_card_and_the_rest_goes_to_the_url():
    more = {"width": "450px", "icon": "&#x1F6E1;", "cls": "bg-success", "but_cls": "btn btn-sm",
            "cust_id": 7, "use": "q"}
    h = kiccard("T", "Sub", "<i>x</i>", "Go", "abc", "custview", more)
    (card,) = [a for a in tags(h, "div") if "card" in a.get("class", "").split()]
    assert card == {"class": "card bg-success", "style": "width:450px"}
    assert tags(h, "h5")[1] == {"class": "card-title"}
    assert tags(h, "i") == [{}]
    assert "\U0001F6E1" in "".join(parse(h).text)
    assert tags(h, "button")[0]["class"] == "btn btn-sm"
    assert button_call(h) == (kicnav("custview", "abc", {"cust_id": 7}), ["q"])


def test_kiccard_without_button_text_has_no_button():
    h = kiccard("T", "", "x")
    assert tags(h, "button") == [] and tags(h, "h5") == [{"class": "mb-0"}]


def test_kiccard_escapes_its_attributes():
    more = {"width": EVIL, "cls": EVIL, "but_cls": EVIL, EVIL: EVIL, "use": [EVIL]}
    h = kiccard("T", "S", "x", "Go", EVIL, EVIL, more)
    assert_safe(h)
    (card,) = [a for a in tags(h, "div") if "style" in a]
    assert card == {"class": "card " + EVIL, "style": "width:" + EVIL}
    assert tags(h, "button")[0]["class"] == EVIL
    url, ids = button_call(h)
    assert params(url)[-1] == (EVIL, EVIL) and ids == [EVIL]


# kic_collapse

def test_kic_collapse_header_opens_its_body():
    h = kic_collapse("Contracts", "<p id=ex>explain</p>", "Open", "abc", "insview", {"cust_id": 7})
    (toggle,) = [a for a in tags(h, "button") if "data-bs-toggle" in a]
    (body,) = [a for a in tags(h, "div") if a.get("id") == "col_insview"]
    assert toggle["data-bs-toggle"] == "collapse"
    assert toggle["data-bs-target"] == "#col_insview" and toggle["aria-controls"] == "col_insview"
    assert body["class"] == "collapse"
    assert tags(h, "p") == [{"id": "ex"}]
    assert button_call(h) == (kicnav("insview", "abc", {"cust_id": 7}), [])


def test_kic_collapse_open_and_own_id_and_no_button():
    h = kic_collapse("T", "x", "", "abc", "insview", {"cid": "box1", "open": 1})
    assert [a for a in tags(h, "div") if a.get("id") == "box1"] == [
        {"id": "box1", "class": "collapse show"}]
    assert [a for a in tags(h, "button") if "onclick" in a] == []
    assert [a for a in tags(h, "div") if a.get("class") == "card-footer"] == []


def test_kic_collapse_keeps_ids_usable_as_a_selector():
    h = kic_collapse("T", "x", "Go", EVIL, EVIL, {"but_cls": EVIL})
    assert_safe(h)
    (toggle,) = [a for a in tags(h, "button") if "data-bs-toggle" in a]
    cid = toggle["aria-controls"]
    assert re.fullmatch(r"col_[A-Za-z0-9_-]+", cid) and toggle["data-bs-target"] == "#" + cid
    assert [a["id"] for a in tags(h, "div") if "id" in a] == [cid]
    url, _ = button_call(h)
    assert dict(params(url))["rpage"] == EVIL


# kicinput / kicselect

def test_kicinput_markup():
    h = kicinput("uname", "User name", "your name",
                 {"value": "dana", "onchange": "check_name()", "req": 1})
    assert tags(h, "label") == [{"for": "uname", "class": "form-label"}]
    assert tags(h, "input") == [{"type": "text", "class": "form-control", "id": "uname",
                                 "name": "uname", "placeholder": "your name", "value": "dana",
                                 "onchange": "check_name()", "required": None}]
    assert "".join(parse(h).text).strip() == "User name"


def test_kicinput_type_disabled_and_no_label():
    h = kicinput("pw", "", "", {"type": "password", "dis": 1})
    assert tags(h, "label") == []
    (i,) = tags(h, "input")
    assert i["type"] == "password" and "disabled" in i and "required" not in i
    assert i["value"] == "" and "onchange" not in i


def test_kicinput_escapes_its_attributes():
    h = kicinput(EVIL, "L", EVIL, {"value": EVIL, "type": EVIL, "onchange": EVIL})
    assert_safe(h)
    (i,) = tags(h, "input")
    assert i["id"] == i["name"] == i["placeholder"] == i["value"] == EVIL
    assert i["type"] == i["onchange"] == EVIL
    assert tags(h, "label")[0]["for"] == EVIL


@pytest.mark.parametrize("opts", [
    {1: "One", 2: "Two"},
    [(1, "One"), (2, "Two")],
    [[1, "One"], [2, "Two"]],
])
def test_kicselect_options_from_a_dict_or_pairs(opts):
    h = kicselect("num", "Number", {"data": opts, "value": "2", "empty": 1})
    assert tags(h, "select") == [{"id": "num", "name": "num", "class": "form-select", "aria-label": "num"}]
    assert tags(h, "label") == [{"for": "num", "class": "form-label"}]
    assert tags(h, "option") == [{"value": "0"}, {"value": "1"}, {"selected": None, "value": "2"}]
    text = [t.strip() for t in parse(h).text if t.strip()]
    assert text == ["Number", "None", "One - 1", "Two - 2"]


def test_kicselect_plain_values_and_no_selection():
    h = kicselect("color", "", {"data": [("red", "Red"), ("green", "Green")], "onchange": "pick()", "disable": 1})
    (s,) = tags(h, "select")
    assert s["onchange"] == "pick()" and "disabled" in s
    assert tags(h, "option") == [{"value": "red"}, {"value": "green"}]
    assert tags(h, "label") == [] and "None" not in h
    h = kicselect("n", "", {"data": [(0, "a"), (1, "b")], "value": 0})
    assert tags(h, "option") == [{"selected": None, "value": "0"}, {"value": "1"}]


def test_kicselect_escapes_its_attributes():
    h = kicselect(EVIL, "L", {"data": {EVIL: "evil", "ok": "fine"}, "value": EVIL, "onchange": EVIL})
    assert_safe(h)
    (s,) = tags(h, "select")
    assert s["id"] == s["name"] == s["onchange"] == EVIL
    assert tags(h, "option") == [{"selected": None, "value": EVIL}, {"value": "ok"}]


# kic_date, esc

def test_kic_date_formats():
    d = datetime(2024, 6, 14, 10, 34, 27)
    assert kic_date(d) == "2024-06-14"
    assert kic_date(d, "-") == "2024-06-14"
    assert kic_date(d, "y0") == "2024"
    assert kic_date(d, "disp") == kic_date(d, 8) == "14-06-2024"
    assert kic_date(d, 6) == "06/14/2024"
    assert kic_date(d, "time") == "2024-06-14 10:34"
    assert kic_date(d, "int") == kic_date(d, 3) == 20240614
    assert kic_date(d, "%H:%M") == "10:34"


def test_kic_date_reads_what_the_database_gives():
    assert kic_date("2024-06-14 10:34:27", "disp") == "14-06-2024"
    assert kic_date("2024-06-14", "int") == 20240614
    assert kic_date(date(2024, 2, 29), "disp") == "29-02-2024"
    before = datetime.now()
    for now in ("", "now", None):
        assert kic_date(now, "-") in {before.strftime("%Y-%m-%d"),
                                      datetime.now().strftime("%Y-%m-%d")}


def test_kic_date_add():
    d = datetime(2024, 2, 27, 23, 0)
    assert kic_date(d, "add 3 days") == datetime(2024, 3, 1, 23, 0)
    assert kic_date(d, "add -2 hours") == datetime(2024, 2, 27, 21, 0)
    assert kic_date(d, "add 90 minutes") == datetime(2024, 2, 28, 0, 30)
    assert kic_date("2024-02-27", "add 1 weeks") == datetime(2024, 3, 5)


@pytest.mark.parametrize("d, fmt", [("yesterday", "-"), ("2024-13-01", "-"),
                                    (datetime(2024, 1, 1), "add 3 years"),
                                    (datetime(2024, 1, 1), "add x days")])
def test_kic_date_bad_input_is_a_clear_error(d, fmt):
    with pytest.raises(ValueError, match="kic_date"):
        kic_date(d, fmt)


def test_esc():
    assert esc(None) == ""
    assert esc(0) == "0"
    assert esc("""<a href="x" title='y'>&""") == "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;"
    assert parse(f'<i title="{esc(EVIL)}">{esc(EVIL)}</i>').tags == [("i", {"title": EVIL})]


# the module

def test_star_import_gives_the_public_helpers_only():
    ns = {}
    exec("from tools.kicutil import *", ns)
    names = {n for n in ns if n != "__builtins__"}
    flyton = {"kic_more", "kicnav", "kicmenu", "kicbutton", "kicbutton0", "kic_collapse", "kicselect",
              "kicselect_def", "kicselect_o", "kiccard", "kic_icon", "cond_but", "kicinput", "kic_date",
              "txt", "txt1", "txtDic", "txtGetProp", "load_dictionary"}    # Flyton's (and kiclang's)
    assert names == flyton | {"kiclink", "kicnavbar", "esc"}
    import tools.kicutil
    assert tools.kicutil is inphms.tools.kicutil


# kicdev.js, run by node on a small stand-in of the page's elements

NODE = shutil.which("node") or shutil.which("nodejs")

DRIVER = r"""
const fs = require("fs"), vm = require("vm");
const inp = JSON.parse(fs.readFileSync(0, "utf8"));
const els = inp.els;
const ctx = {document: {location: {href: ""},
                        getElementById: id => Object.prototype.hasOwnProperty.call(els, id) ? els[id] : null}};
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(inp.js, "utf8"), ctx, {filename: "kicdev.js"});
vm.runInContext(inp.onclick, ctx);
process.stdout.write(JSON.stringify({href: ctx.document.location.href}));
"""


def click(h, els):
    """Run the onclick of the button in h against kicdev.js; the URL it opens."""
    if not NODE:
        pytest.skip("node is not installed")
    (b,) = [a for a in tags(h, "button") if "onclick" in a]
    inp = json.dumps({"js": KICDEV_JS, "onclick": b["onclick"], "els": els})
    out = subprocess.run([NODE, "-e", DRIVER], input=inp, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["href"]


def test_kicgo_opens_the_page_url():
    h = kicbutton("prodlist", "abc", "Go", "btn", {"cat": "a b"})
    assert click(h, {}) == kicnav("prodlist", "abc", {"cat": "a b"})


def test_kicgo_adds_the_values_of_the_used_elements():
    h = kicbutton("prodsave", "abc", "Save", "btn",
                  {"prod_id": 3, "use": "name,price,gone"})
    href = click(h, {"name": {"type": "text", "value": "tea & cake = 5% é"},
                     "price": {"type": "number", "value": "3.5"}})
    assert params(href) == [("app", "start"), ("r", "309012"), ("ses", "abc"),
                            ("rpage", "prodsave"), ("prod_id", "3"),
                            ("name", "tea & cake = 5% é"), ("price", "3.5")]


def test_kicgo_checkbox_radio_and_multiple_select():
    h = kicbutton("f", "abc", "Go", "btn", {"use": "ok,no,s1,s2,tags"})
    href = click(h, {
        "ok": {"type": "checkbox", "checked": True, "value": "on"},
        "no": {"type": "checkbox", "checked": False, "value": "on"},
        "s1": {"type": "radio", "name": "size", "value": "S", "checked": False},
        "s2": {"type": "radio", "name": "size", "value": "L", "checked": True},
        "tags": {"type": "select-multiple", "multiple": True,
                 "options": [{"value": "a", "selected": True}, {"value": "b", "selected": False},
                             {"value": "c", "selected": True}]},
    })
    assert params(href)[4:] == [("ok", "1"), ("no", "0"), ("size", "L"),
                                ("tags", "a"), ("tags", "c")]


def test_kicgo_finds_odd_ids_and_sends_them_encoded():
    odd = "a,b'c\"d"
    h = kicbutton("f", "abc", "Go", "btn", {"use": [EVIL, odd]})
    href = click(h, {EVIL: {"type": "text", "value": EVIL}, odd: {"type": "text", "value": "1"}})
    assert params(href)[4:] == [(EVIL, EVIL), (odd, "1")]


# Flyton's kicmenu, kic_icon, cond_but, kicselect_def / kicselect_o, kiccard's color and but_cls

def test_kicmenu_is_flytons_single_link():
    h = kicmenu("prodlist", "abc", "Products")
    assert tags(h, "a") == [{"class": "kicmenu", "href": "/cgi-bin/p?app=start&r=309012&ses=abc&rpage=prodlist"}]
    assert kicmenu("x", "abc", "T", "nav-link").startswith('<a class="nav-link"')


def test_kic_icon_and_cond_but():
    assert kic_icon("Insurance plans", {}) == "&#x1F6E1;" and kic_icon("Organizations", {}) == "&#x1F465;"
    assert kic_icon("Occupation", {"icon": "*"}) == "*" and kic_icon("Users", {}) == ""
    assert cond_but("p", "abc", "", {}) == ""
    (b,) = tags(cond_but("p", "abc", "Go", {"but_cls": "danger", "k": 1}), "button")
    assert b["class"] == "btn btn-danger" and "k=1" in b["onclick"]
    (b,) = tags(cond_but("p", "abc", "Go", {}), "button")
    assert b["class"] == "btn btn-primary"
    (b,) = tags(cond_but("p", "abc", "Go", {"but_cls": "btn btn-sm btn-dark"}), "button")
    assert b["class"] == "btn btn-sm btn-dark"
    assert kic_more({"use": "a", "tab": "ins", "n": "a b"}) == "&tab=ins&n=a+b"


def test_kiccard_color_and_icon_as_flytons():
    h = kiccard("Insurance", "", "x", "Open", "abc", "ins", {"color": "red", "but_cls": "success"})
    assert tags(h, "div")[0]["class"] == "card bg-danger"
    assert "&#x1F6E1;" in h and tags(h, "button")[0]["class"] == "btn btn-success"


def test_kicselect_def_and_kicselect_o():
    assert kicselect_def({}) == "" and kicselect_def({"empty": 1}) == '<option value="0">None</option>'
    h = kicselect_o(3, [(1, "tea"), (3, "coffee")])
    assert tags(h, "option") == [{"value": "1"}, {"selected": None, "value": "3"}]
    assert [t.strip() for t in parse(h).text if t.strip()] == ["tea - 1", "coffee - 3"]
    # a query parameter is text: "3" selects row id 3
    assert tags(kicselect_o("3", [(3, "coffee")]), "option") == [{"selected": None, "value": "3"}]


def test_kic_date_takes_flytons_keyword():
    assert kic_date(h=datetime(2024, 6, 14), format="disp") == "14-06-2024"
