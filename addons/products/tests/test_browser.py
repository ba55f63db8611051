"""The products addon in a real headless Chromium: from the dashboard card to the
list, a new product through the form (its errors first), its view, the admin's
switch and the language switch.

Debian's chromium, driven by playwright (never a browser playwright downloads).
The product list's screenshot (1280x800) goes to tests/.run/screenshots/, and to
docs/img/products.png (the README's picture) when INPHMS_UPDATE_SCREENSHOTS=1.
"""
import os
import re
import shutil

import pytest

from tests.support.browser import chromium

from prodtest import ADDON, login, new_prod, start_products

ROOT = os.path.dirname(os.path.dirname(ADDON))
SHOT = os.path.join(ROOT, "tests", ".run", "screenshots", "products.png")
README_SHOT = os.path.join(ROOT, "docs", "img", "products.png")

# a small shop, so the list (and its screenshot) looks like a real one
CATALOGUE = [
    ("Green tea 100g", "TEA-GRN-100", "12.50", {"origin": "Japan"}),
    ("Espresso beans 1kg", "COF-ESP-1K", "89.90", {"roast": "dark"}),
    ("Ceramic mug", "MUG-CER-350", "24.00", {"color": "white", "size": "350ml"}),
    ("French press 800ml", "PRS-FR-800", "149.00", {"color": "black"}),
    ("Chamomile tea 50g", "TEA-CHM-50", "9.90", {"origin": "Egypt"}),
    ("Travel tumbler", "TMB-TRV-450", "79.00", {"color": "steel", "size": "450ml"}),
    ("Honey jar 350g", "HNY-JAR-350", "32.00", {"origin": "Galilee"}),
    ("Matcha whisk", "MAT-WSK-1", "45.00", {"material": "bamboo"}),
]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = start_products(tmp_path_factory.mktemp("browser"))
    ses = login(s)
    for name, sku, price, attr in CATALOGUE:
        new_prod(s, ses, name, sku, price, **attr)
    yield s
    s.server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))
    yield p
    context.close()


def log_in(page, site):
    page.goto(f"http://127.0.0.1:{site.port}/")
    page.wait_for_url("**/pages/login/")
    page.fill("#u", "admin")
    page.fill("#p", site.admin_password)
    page.click("#loginbtn")
    page.wait_for_url(re.compile(r".*/cgi-bin/p\?app=start&r=1&ses=[A-Za-z0-9_-]{84}$"))


def open_list(page, site):
    log_in(page, site)
    page.click("#cards .card:has(h5:text-is('Products')) button")
    page.wait_for_url(re.compile(r".*&rpage=prodlist$"))


def test_add_a_product_through_the_form(page, site):
    open_list(page, site)
    assert page.inner_text("#prodcount") == f"{len(CATALOGUE)} products"
    page.click("#prodnew button")
    page.wait_for_url(re.compile(r".*&rpage=prodedit$"))
    form = page.url

    # an invalid product first: each error shows next to its field, the page stays
    page.fill("#sku", "bad sku!")
    page.fill("#price", "twelve")
    page.click("#prodsave")
    page.wait_for_function("document.getElementById('err_name').innerText.length > 0")
    assert page.inner_text("#err_name") == "A name is needed"
    assert page.inner_text("#err_sku") == "A SKU has letters, digits and . _ - (64 at most)"
    assert page.inner_text("#err_price") == "A price is a number like 12.50"
    assert page.inner_text("#prodmsg") == "Please fix the marked fields"
    assert "is-invalid" in page.get_attribute("#name", "class")
    assert page.url == form and page.is_enabled("#prodsave")

    # the name fixed: its error goes, the others come back with the next answer
    page.fill("#name", "Oolong tea 50g")
    page.click("#prodsave")
    page.wait_for_function("document.getElementById('err_name').innerText == ''"
                           " && document.getElementById('err_sku').innerText.length > 0")
    assert "is-invalid" not in page.get_attribute("#name", "class")
    assert page.inner_text("#err_price") == "A price is a number like 12.50"

    # all fixed: the save leads to the product's view
    page.fill("#sku", "TEA-OOL-50")
    page.fill("#price", "18.9")
    page.fill("#ak0", "origin")
    page.fill("#av0", "Taiwan")
    page.fill("#note", "first order")
    page.click("#prodsave")
    page.wait_for_url(re.compile(r".*&rpage=prodview&prod_id=\d+$"))
    prod_id = int(page.url.rsplit("=", 1)[1])
    assert page.inner_text("#prodname") == "Oolong tea 50g"
    assert page.inner_text("#prodprice") == "18.90"
    assert "Taiwan" in page.inner_text("#prodattr")
    assert "first order" in page.inner_text("#prodlines")

    # back in the list, among the others
    page.click("#prodview button:has-text('Back to the list')")
    page.wait_for_url(re.compile(r".*&rpage=prodlist$"))
    assert page.inner_text(f"#p{prod_id} a") == "Oolong tea 50g"
    assert page.inner_text("#prodcount") == f"{len(CATALOGUE) + 1} products"
    os.makedirs(os.path.dirname(SHOT), exist_ok=True)
    page.screenshot(path=SHOT)
    assert os.path.getsize(SHOT) > 20000
    if os.environ.get("INPHMS_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(SHOT, README_SHOT)

    # its name leads to its view
    page.click(f"#p{prod_id} a")
    page.wait_for_url(re.compile(rf".*&rpage=prodview&prod_id={prod_id}$"))
    assert page.errors == []


def test_search_with_the_form(page, site):
    open_list(page, site)
    page.fill("#k", "origin")
    page.fill("#v", "Japan")
    page.click("#searchbuts button:has-text('Search')")
    page.wait_for_url(re.compile(r".*&q=&k=origin&v=Japan$"))
    assert page.inner_text("#prodtab tbody").count("Green tea 100g") == 1
    assert "Chamomile" not in page.inner_text("#prodtab tbody")
    assert page.input_value("#k") == "origin"
    assert page.errors == []


def test_admin_switches_a_product_off_and_on(page, site):
    open_list(page, site)
    page.click("#prodtop button:has-text('Admin')")
    page.wait_for_url(re.compile(r".*&rpage=prodadmin$"))
    page.fill("#aq", "Matcha")
    page.click("#adminsearch button:has-text('Search')")
    page.wait_for_url(re.compile(r".*&aq=Matcha$"))
    but = page.locator("#admintab button")
    assert but.count() == 1 and but.inner_text() == "Switch off"
    with page.expect_navigation():
        but.click()
    assert page.inner_text("#admintab").count("Switched off") == 1
    assert page.locator("#admintab button").inner_text() == "Switch on"
    with page.expect_navigation():
        page.locator("#admintab button").click()
    assert page.locator("#admintab button").inner_text() == "Switch off"
    assert page.errors == []


def test_language_switch(page, site):
    open_list(page, site)
    with page.expect_navigation():
        page.select_option("#lang", "he")
    assert page.inner_text("#prodtop h2") == "מוצרים"
    assert page.get_attribute("#prodlist", "dir") == "rtl"
    assert page.inner_text("#logout") == "התנתקות"
    with page.expect_navigation():
        page.select_option("#lang", "en")
    assert page.inner_text("#prodtop h2") == "Products"
    assert page.errors == []
