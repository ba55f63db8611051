"""The products addon against a real server: APIs, pages, paging, search, roles,
languages, escaping and its cron job."""
import html
import json
import os
import re

import pytest

from prodtest import (ADDON, add_user, button_url, call, get_url, login, new_prod, page,
                      row_ids, run_cron, save, start_products)
from tests.support.client import api, request


@pytest.fixture(scope="module", params=["sqlite", "mysql"])
def site(request, tmp_path_factory):
    """The server, on each engine: the same tests pass on SQLite and on MariaDB."""
    options = {}
    if request.param == "mysql":
        db = request.getfixturevalue("products_mariadb")
        options = db.options(db.create_database())
    s = start_products(tmp_path_factory.mktemp("products"), **options)
    yield s
    s.server.stop()


@pytest.fixture(scope="module")
def admin(site):
    return login(site)


def text_of(body, id):
    """The inner text of the element with this id (no nested tags of the same kind)."""
    m = re.search(rf"<(\w+) id={id}\b[^>]*>(.*?)</\1>", body, re.S)
    assert m, f"no element id={id}"
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()


def test_dashboard_has_the_products_card(site, admin):
    status, body = page(site, admin, "dashboard")
    assert status == 200
    assert "<h5 class=\"mb-0\">Products</h5>" in body
    assert "rpage=prodlist" in body and "rpage=prodadmin" in body


def test_validation_errors_per_field(site, admin):
    s = save(site, admin)
    assert s["allow"] == 0
    assert s["msg"] == s["err"] == "Please fix the marked fields"
    assert s["errs"] == {"name": "A name is needed", "sku": "A SKU is needed",
                         "price": "A price is a number like 12.50"}

    s = save(site, admin, name="x" * 256, sku="bad sku!", price="12.345", note="n" * 1001,
             attr=[["Color", "x"], ["price", "1"], ["size", "a"], ["size", "b"], ["", "lonely"],
                   ["x"], ["ok", "!del"], ["empty", ""], ["", ""]])
    assert s["allow"] == 0
    assert s["errs"] == {
        "name": "A name has 255 characters at most",
        "sku": "A SKU has letters, digits and . _ - (64 at most)",
        "price": "A price is a number like 12.50",
        "note": "A note has 1000 characters at most",
        "attr0": "A name has small letters, digits and _ (32 at most)",
        "attr1": "This name belongs to the product itself",
        "attr3": "This name is there twice",
        "attr4": "A value needs a name",
        "attr5": "An attribute is a [name, value] pair",
        "attr6": "This value is kept for the system",
    }
    s = save(site, admin, name="ok", sku="OK-1", price="1", attr="color=green")
    assert s["errs"] == {"attr": "Attributes are a list of [name, value] pairs"}
    s = save(site, admin, name="ok", sku="OK-1", price="1", attr=[["a", "1"]] * 31)
    assert s["errs"] == {"attr": "30 attributes at most"}
    # an input that is not an object never reaches the API: the server refuses it (400)
    status, s = api(site.port, "api_prod_save", ["not", "an", "object"], admin)
    assert status == 400 and s["allow"] == 0 and s["msg"] == "bad JSON body: input must be an object"
    s = save(site, admin, prod_id=99, name="ok", sku="OK-1", price="1")
    assert s["allow"] == 0 and s["msg"] == "No such product" and "errs" not in s


def test_save_new_then_change(site, admin):
    s = save(site, admin, name=" Green tea ", sku="SV-TEA-1", price="12.5",
             attr=[["color", "green"], ["", ""]], note="first batch")
    assert s["allow"] == 1 and s["msg"] == "ok" and s["new"] == 1
    prod_id = s["prod_id"]
    assert isinstance(prod_id, int) and prod_id >= 4000
    assert s["changed"] == ["name", "sku", "price", "color"]

    # the same SKU on another product is refused; on the same product it is fine
    s = save(site, admin, name="Other", sku="SV-TEA-1", price="1")
    assert s["allow"] == 0 and s["errs"] == {"sku": "This SKU belongs to another product"}
    s = save(site, admin, prod_id=prod_id, name="Green tea", sku="SV-TEA-1", price="13",
             attr=[["color", ""], ["size", "100g"]], note="new supplier")
    assert s["allow"] == 1 and s["new"] == 0 and s["prod_id"] == prod_id
    assert s["changed"] == ["price", "color", "size"]
    s = save(site, admin, prod_id=str(prod_id), name="Green tea", sku="SV-TEA-1", price="13.00",
             attr=[["size", "100g"]])
    assert s["allow"] == 1 and s["changed"] == []

    status, body = page(site, admin, "prodview", prod_id=prod_id)
    assert status == 200
    assert text_of(body, "prodname") == "Green tea"
    assert text_of(body, "prodsku") == "SV-TEA-1"
    assert text_of(body, "prodprice") == "13.00"
    assert "<tr><th>size</th><td>100g</td></tr>" in body and "<th>color</th>" not in body
    # history: the change (newest first) then the creation, each with its note
    lines = re.findall(r"<tr id=l(\d+)>(.*?)</tr>", body, re.S)
    assert len(lines) == 2 and int(lines[0][0]) > int(lines[1][0]) >= 40000
    assert "<td>changed</td>" in lines[0][1] and "<td>created</td>" in lines[1][1]
    assert "Price: 12.50 &rarr; 13.00" in lines[0][1]
    assert "color: green &rarr; &mdash;" in lines[0][1]
    assert "size: &mdash; &rarr; 100g" in lines[0][1]
    assert "Note: new supplier" in lines[0][1] and "Note: first batch" in lines[1][1]
    assert "<td>Admin</td>" in lines[0][1]


def test_list_pages_by_id(site, admin):
    ids = [new_prod(site, admin, f"Paged item {n}", f"PG-{n}", "2.00", batch="paging")
           for n in range(23)]
    assert ids == sorted(ids)
    status, body = page(site, admin, "prodlist", k="batch", v="paging")
    assert status == 200
    assert text_of(body, "prodcount") == "23 products"
    seen = []
    for pg, size in ((1, 10), (2, 10), (3, 3)):
        w = row_ids(body)
        assert len(w) == size and w == sorted(w)
        assert text_of(body, "prodpage") == f"Page {pg}"
        seen += w
        nxt = button_url(body, "Next")
        if pg == 3:
            assert nxt is None
            break
        # "next" carries the last id of this page, the page number and the search
        assert f"&amp;id={w[-1]}&amp;pg={pg + 1}&amp;q=&amp;k=batch&amp;v=paging" in nxt
        status, body = get_url(site, nxt)
        assert status == 200
        assert button_url(body, "First page") is not None
    assert seen == ids


def test_list_without_search_starts_at_the_first_id(site, admin):
    for n in range(12):
        new_prod(site, admin, f"Any item {n}", f"ANY-{n}")
    status, body = page(site, admin, "prodlist")
    w = row_ids(body)
    assert status == 200 and len(w) == 10 and w[0] >= 4000 and w == sorted(w)
    assert button_url(body, "First page") is None
    status, body = page(site, admin, "prodlist", id=w[4])
    assert row_ids(body)[0] > w[4] and row_ids(body)[:5] == w[5:]
    status, body = page(site, admin, "prodlist", id="4000; DROP TABLE prod", pg="x")
    assert status == 200 and row_ids(body) == w


def test_search_by_name_and_by_attribute(site, admin):
    a = new_prod(site, admin, "Srch blue cup", "SR-1", color="blue")
    b = new_prod(site, admin, "Srch blue plate", "SR-2", color="blue", size="big")
    c = new_prod(site, admin, "Srch red cup", "SR-3", color="red")
    d = new_prod(site, admin, "Srch 100% cotton", "SR-4")

    def found(**par):
        status, body = page(site, admin, "prodlist", **par)
        assert status == 200
        return row_ids(body)

    assert found(q="srch") == [a, b, c, d]
    assert found(q="Srch red") == [c]
    assert found(q="srch", k="color", v="blue") == [a, b]
    assert found(q="cup", k="color", v="blue") == [a]
    assert found(q="srch", k="size") == [b]
    assert found(q="srch", k="color", v="green") == []
    assert found(q="%") == [d]          # % is a plain character, not a wildcard
    # the search form keeps what was searched, and its button sends the inputs by id
    status, body = page(site, admin, "prodlist", q="cup", k="color", v="blue")
    assert 'id="q" name="q" placeholder="part of the name" value="cup"' in body
    assert re.search(r"""rpage=prodlist','q,k,v'\)">Search</button>""", body)
    # an attribute name that cannot be one is left out, and the page says so
    status, body = page(site, admin, "prodlist", q="srch", k="color' OR 1=1 --", v="x")
    assert status == 200 and row_ids(body) == [a, b, c, d]
    assert "it was left out of the search" in text_of(body, "searchbad")
    status, body = page(site, admin, "prodlist", q="no such thing at all")
    assert row_ids(body) == [] and text_of(body, "prodnone") == "No products found"


def test_view_and_edit_pages(site, admin):
    prod_id = new_prod(site, admin, "Ceramic mug", "VW-MUG", "24", color="white", size="350ml")
    status, body = page(site, admin, "prodview", prod_id=prod_id)
    assert status == 200
    assert text_of(body, "prodstate") == "Active"
    assert "<tr><th>color</th><td>white</td></tr>" in body
    assert f"rpage=prodedit&amp;prod_id={prod_id}" in body
    for bad in ("99", "abc", ""):
        status, body = page(site, admin, "prodview", prod_id=bad)
        assert status == 200 and text_of(body, "prodnone") == "No such product"

    status, body = page(site, admin, "prodedit", prod_id=prod_id)
    assert status == 200 and text_of(body, "prodtitle") == "Edit product"
    assert f'<input type=hidden id=prod_id value="{prod_id}">' in body
    assert 'id="price" name="price" placeholder="e.g. 12.50" value="24.00"' in body
    assert 'id="ak0" name="ak0" placeholder="name, e.g. color" value="color"' in body
    assert 'id="av1" name="av1" placeholder="value, e.g. green" value="350ml"' in body
    assert 'id="ak4"' in body and 'id="ak5"' not in body       # 2 attributes + 3 empty rows
    assert '<div id=err_sku data-field="sku"' in body
    # after a save the browser goes to the view; its URL is written by the server
    m = re.search(r"""<button id=prodsave type=button class="btn btn-primary" onclick="prod_save\('([^']*)'\)">""", body)
    assert m and html.unescape(m.group(1)).endswith(f"&ses={admin}&rpage=prodview")
    # no inline script or style: JS and CSS come from /lib files
    assert re.findall(r"<script(?![^>]*\ssrc=)", body) == []
    assert "<style" not in body and "/lib/prod.js" in body

    status, body = page(site, admin, "prodedit")
    assert text_of(body, "prodtitle") == "New product"
    assert '<input type=hidden id=prod_id value="">' in body and 'id="ak2"' in body
    status, body = page(site, admin, "prodedit", prod_id="4x")
    assert text_of(body, "prodnone") == "No such product"


def test_admin_page_and_api_are_for_admins_only(site, admin):
    add_user(site, "clerk", "clerk-pw-1", "owner")
    clerk = login(site, "clerk", "clerk-pw-1")
    prod_id = new_prod(site, clerk, "Clerk teapot", "ADM-POT", "39")   # saving is for everyone

    status, body = page(site, clerk, "prodadmin")
    assert status == 200 and "no alw" in body and "admintab" not in body
    s = call(site, clerk, "api_prod_off", {"prod_id": prod_id})
    assert s["allow"] == 0 and s["msg"] == "no alw"
    assert text_of(page(site, clerk, "prodview", prod_id=prod_id)[1], "prodstate") == "Active"
    assert "rpage=prodadmin" not in page(site, clerk, "prodlist")[1]

    status, body = page(site, admin, "prodadmin", aq="Clerk teapot")
    assert status == 200 and f"<tr id=a{prod_id}>" in body
    assert f'onclick="prod_off({prod_id}, 1)">Switch off</button>' in body
    off_before = int(text_of(body, "cntoff"))
    s = call(site, admin, "api_prod_off", {"prod_id": prod_id, "off": 1})
    assert s["allow"] == 1 and s["prod_id"] == prod_id and s["is_active"] == 0
    assert prod_id not in row_ids(page(site, admin, "prodlist", q="Clerk teapot")[1])
    status, body = page(site, admin, "prodview", prod_id=prod_id)
    assert text_of(body, "prodstate") == "Switched off"
    assert "<td>switched off</td>" in body and "<td>created</td>" in body
    status, body = page(site, admin, "prodadmin", aq="Clerk teapot")
    assert int(text_of(body, "cntoff")) == off_before + 1
    assert f'onclick="prod_off({prod_id}, 0)">Switch on</button>' in body

    s = call(site, admin, "api_prod_off", {"prod_id": prod_id, "off": 0})
    assert s["allow"] == 1 and s["is_active"] == 1
    assert row_ids(page(site, admin, "prodlist", q="Clerk teapot")[1]) == [prod_id]
    s = call(site, admin, "api_prod_off", {"prod_id": 99})
    assert s["allow"] == 0 and s["msg"] == "No such product"


def test_cron_job_counts_active_products(site, admin):
    out = run_cron(site, "prod_stats")
    assert out.returncode == 0, out.stderr
    status, body = page(site, admin, "prodadmin")
    active = int(text_of(body, "cntact"))
    assert active > 0 and text_of(body, "cntcron") == str(active)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text_of(body, "cntcronat"))
    prod_id = new_prod(site, admin, "Cron counted", "CR-1")
    call(site, admin, "api_prod_off", {"prod_id": prod_id})
    new_prod(site, admin, "Cron counted too", "CR-2")
    assert run_cron(site, "prod_stats").returncode == 0
    body = page(site, admin, "prodadmin")[1]
    assert text_of(body, "cntcron") == str(active + 1) == text_of(body, "cntact")


def test_hebrew_when_the_session_says_so(site, admin):
    ses = login(site)
    s = call(site, ses, "api_prod_lang", {"lang": "he"})
    assert s["allow"] == 1 and s["lang"] == "he"
    status, body = page(site, ses, "prodlist")
    assert status == 200
    assert '<h2 class="me-3 mb-0">מוצרים</h2>' in body and "<div id=prodlist dir=rtl>" in body
    assert ">מוצר חדש</button>" in body and "<th class=text-end>מחיר</th>" in body
    assert '<option selected value="he">עברית - he</option>' in body
    assert ">התנתקות</button>" in body                  # the web addon's header follows too
    assert '<h5 class="mb-0">מוצרים</h5>' in page(site, ses, "dashboard")[1]
    s = save(site, ses)
    assert s["msg"] == "נא לתקן את השדות המסומנים" and s["errs"]["name"] == "חסר שם"
    s = call(site, ses, "api_prod_lang", {"lang": "xx"})
    assert s["allow"] == 0 and s["msg"] == "שפה לא מוכרת"
    # another session of the same user keeps its own language
    assert '<h2 class="me-3 mb-0">Products</h2>' in page(site, admin, "prodlist")[1]
    assert call(site, ses, "api_prod_lang", {"lang": "en"})["allow"] == 1
    assert "<div id=prodlist dir=ltr>" in page(site, ses, "prodlist")[1]


def test_every_text_has_a_hebrew_translation():
    he = json.load(open(os.path.join(ADDON, "client", "lang", "he.json"), encoding="utf-8"))
    texts = set()
    for folder, dirs, files in os.walk(ADDON):
        dirs[:] = [d for d in dirs if d not in ("tests", "__pycache__")]
        for f in files:
            if f.endswith(".py") and f != "__manifest__.py":
                src = open(os.path.join(folder, f), encoding="utf-8").read()
                texts |= set(re.findall(r'txt\("([^"]+)"', src))
    manifest = eval(open(os.path.join(ADDON, "__manifest__.py"), encoding="utf-8").read())
    for c in manifest["dashboard"]:
        texts |= {c["title"], c["explain"]}
    texts |= {"created", "changed", "note", "switched off", "switched on"}    # prod_data names
    assert len(texts) > 60
    assert sorted(t for t in texts if not he.get(t)) == []


def test_injection_looking_input_is_stored_and_shown_escaped(site, admin):
    name = '<script>alert("x")</script> Robert\'); DROP TABLE prod; --'
    value = '"><img src=x onerror=alert(1)>'
    s = save(site, admin, name=name, sku="INJ-1", price="5", attr=[["tag", value]],
             note="'; DELETE FROM prod_data; --")
    assert s["allow"] == 1
    prod_id = s["prod_id"]
    status, body = page(site, admin, "prodlist", q="DROP TABLE")
    assert status == 200 and row_ids(body) == [prod_id]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Robert&#x27;); DROP TABLE prod; --" in body
    assert "<script>alert" not in body and "<img src=x" not in body
    status, body = page(site, admin, "prodview", prod_id=prod_id)
    assert text_of(body, "prodname") == name
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body and "<img src=x" not in body
    assert "Note: &#x27;; DELETE FROM prod_data; --" in body
    status, body = page(site, admin, "prodedit", prod_id=prod_id)
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Robert&#x27;); DROP TABLE prod; --"' in body
    # nothing was dropped or deleted: the tables answer and the history is there
    assert "<td>created</td>" in page(site, admin, "prodview", prod_id=prod_id)[1]
    assert int(text_of(page(site, admin, "prodadmin")[1], "cntact")) > 1
    # names that would be SQL are refused by the checks, as names and in searches
    s = save(site, admin, name="x", sku="X'; --", price="1", attr=[["a') OR ('1'='1", "v"]])
    assert set(s["errs"]) == {"sku", "attr0"}
    status, body = page(site, admin, "prodlist", q="' OR '1'='1", k="data); --", v="1")
    assert status == 200 and row_ids(body) == []


def test_no_session_no_products(site):
    s = api(site.port, "api_prod_save", {"name": "x"}, "")[1]
    assert s["allow"] == 0 and s["sact"] == "out"
    status, headers, _ = request(site.port, "GET", "/cgi-bin/p?app=start&rpage=prodlist")
    assert status == 302 and headers["Location"].endswith("/pages/login/")
