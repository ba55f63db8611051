# prodedit.py - the form of a new product (no prod_id) or of product prod_id
#
# Save runs prod_save() of /lib/prod.js: api_prod_save checks and saves; its errors
# show next to their fields (err_<field>) on this page; after a save the browser
# goes to the URL of prodview written here by kicnav(), with the product's id added.
from tools.kicutil import *
from tools.kiclang import *
from tools.db_prod import *

blank = {"id": "", "name": "", "sku": "", "price": "", "is_active": 1, "data": {}}


def prodedit(data):
    ses = data["ses"]
    p = blank
    title = txt("New product")
    price = ""
    back = kicbutton("prodlist", ses, txt("Cancel"), "btn btn-outline-secondary")
    if data.get("prod_id"):
        p = db_prod(data["prod_id"])
        if not p:
            return prodedit_none(ses)
        title = txt("Edit product")
        price = prod_price(p["price"])
        back = kicbutton("prodview", ses, txt("Cancel"), "btn btn-outline-secondary", {"prod_id": p["id"]})
    off = ""
    if not p["is_active"]:
        off = f"""<div id=prodoff class="alert alert-warning">{txt("This product is switched off")}</div>"""
    nxt = kicnav("prodview", ses)
    h = f"""<div id=prodedit dir={prod_dir(data["s"])}>
        <h2 id=prodtitle class=mb-3>{title}</h2>
        {off}
        <input type=hidden id=prod_id value="{esc(p["id"])}">
        <div id=prodform class="row g-4">
          <div class=col-md-6>
            {kicinput("name", txt("Name"), txt("e.g. Green tea 100g"), {"value": p["name"]})}
            {prodedit_err("name", "name")}
            {kicinput("sku", txt("SKU"), txt("e.g. TEA-GRN-100"), {"value": p["sku"]})}
            {prodedit_err("sku", "sku")}
            {kicinput("price", txt("Price"), txt("e.g. 12.50"), {"value": price})}
            {prodedit_err("price", "price")}
            {kicinput("note", txt("Note about this change"), txt("optional"), {})}
            {prodedit_err("note", "note")}
          </div>
          <div class=col-md-6>
            <label class=form-label>{txt("Attributes")}</label>
            <p class="small text-muted">{txt("A name (small letters, digits and _) and a value; an empty value removes the attribute")}</p>
            {prodedit_attr(p["data"])}
            {prodedit_err("attr", "")}
          </div>
        </div>
        <div class="d-flex align-items-center gap-2 mt-3">
          <button id=prodsave type=button class="btn btn-primary" onclick="prod_save('{esc(nxt)}')">{txt("Save")}</button>
          {back}
          <span id=prodmsg class="text-danger ms-2"></span>
        </div>
    </div>
    <link href="/lib/prod.css" rel=stylesheet>
    <script src="/lib/prod.js"></script>
    """
    return h


def prodedit_none(ses):
    h = f"""<div id=prodedit>
        <p id=prodnone class=text-muted>{txt("No such product")}</p>
        {kicbutton("prodlist", ses, txt("Back to the list"), "btn btn-outline-secondary")}
    </div>
    """
    return h


def prodedit_err(key, field):
    """The place of a field's error text: err_<key>; data-field names the input to mark."""
    return f"""<div id=err_{key} data-field="{field}" class="proderr text-danger small"></div>"""


def prodedit_attr(a):
    """A row (ak<n>, av<n>) per attribute, and three empty rows for new ones."""
    rows = [(k, a[k]) for k in sorted(a)]
    rows += [("", ""), ("", ""), ("", "")]
    h = ""
    for n, x in enumerate(rows):
        h += f"""<div id=attr{n} class="row g-2">
              <div class=col-5>{kicinput(f"ak{n}", "", txt("name, e.g. color"), {"value": x[0]})}</div>
              <div class=col-7>{kicinput(f"av{n}", "", txt("value, e.g. green"), {"value": x[1]})}</div>
            </div>
            {prodedit_err(f"attr{n}", f"ak{n}")}
        """
    return h
