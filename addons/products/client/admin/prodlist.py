# prodlist.py - the products, a page of `per` at a time in id order, and the search
#
# parameters: id  the last id of the page before ("" = from the start); pg the page's number
#             q   part of the name
#             k   an attribute and v its value (k alone: the products that have k)
# The search inputs travel with kicbutton's more["use"]; "next" carries the last id shown.
from tools.kicutil import *
from tools.kiclang import *
from tools.db_ses import *
from tools.db_prod import *

per = 10
langs = {"en": "English", "he": "עברית"}


def prodlist(data):
    ses = data["ses"]
    q = data.get("q", "").strip()
    k = data.get("k", "").strip()
    v = data.get("v", "").strip()
    id = prodlist_num(data.get("id"), "")
    pg = prodlist_num(data.get("pg"), 1)
    where = prod_where(q, k, v)
    w, more = prod_page(id, per, where)
    h = f"""<div id=prodlist dir={prod_dir(data["s"])}>
        {prodlist_top(data, prod_count(where))}
        {prodlist_search(ses, q, k, v)}
        <table id=prodtab class="table table-hover align-middle">
          <thead>
            <tr><th>#</th><th>{txt("Name")}</th><th>{txt("SKU")}</th><th class=text-end>{txt("Price")}</th>
                <th>{txt("Attributes")}</th><th>{txt("Updated")}</th><th></th></tr>
          </thead>
          <tbody>
    """
    for p in w:
        h += prodlist_row(p, ses)
    h += f"""{prodlist_none(w)}
          </tbody>
        </table>
        {prodlist_foot(ses, w, more, pg, id, q, k, v)}
    </div>
    <link href="/lib/prod.css" rel=stylesheet>
    <script src="/lib/prod.js"></script>
    """
    return h


def prodlist_num(t, d):
    """The number in text t, or d when t is not a number."""
    if not str(t or "").isdigit():
        return d
    return int(t)


def prodlist_top(data, n):
    """The title, the count, the buttons and the language."""
    ses = data["ses"]
    adm = ""
    if is_ses_role(ses, "admin"):
        adm = kicbutton("prodadmin", ses, txt("Admin"), "btn btn-outline-dark")
    lang = data["s"].get("lang", "en")
    h = f"""<div id=prodtop class="d-flex flex-wrap align-items-center gap-2 mb-3">
            <h2 class="me-3 mb-0">{txt("Products")}</h2>
            <span id=prodcount class="badge text-bg-secondary">{n} {txt("products")}</span>
            <span id=prodnew class=ms-auto>{kicbutton("prodedit", ses, txt("New product"), "btn btn-success")}</span>
            {adm}
            <div id=langbox>{kicselect("lang", "", {"value": lang, "data": langs, "onchange": "prod_lang()"})}</div>
        </div>
        <div id=langmsg class="text-danger small"></div>
    """
    return h


def prodlist_search(ses, q, k, v):
    """The search form: name, attribute and value, sent by kicbutton more["use"]."""
    bad = ""
    if k and not prod_key_ok(k):
        bad = txt("An attribute name has small letters, digits and _; it was left out of the search")
    h = f"""<div id=prodsearch class="card card-body mb-3">
          <div class="row g-2 align-items-end">
            <div class=col-md-4>{kicinput("q", txt("Name"), txt("part of the name"), {"value": q})}</div>
            <div class=col-md-3>{kicinput("k", txt("Attribute"), txt("e.g. color"), {"value": k})}</div>
            <div class=col-md-3>{kicinput("v", txt("Value"), txt("e.g. green"), {"value": v})}</div>
            <div id=searchbuts class="col-md-2 mb-3 d-flex gap-2">
              {kicbutton("prodlist", ses, txt("Search"), "btn btn-primary", {"use": "q,k,v"})}
              {kicbutton("prodlist", ses, txt("Clear"), "btn btn-outline-secondary")}
            </div>
          </div>
          <div id=searchbad class="text-danger small">{bad}</div>
        </div>
    """
    return h


def prodlist_row(p, ses):
    """One product: id, name (to its view), sku, price, attributes, last change, edit."""
    edit = kicbutton("prodedit", ses, txt("Edit"), "btn btn-sm btn-outline-secondary", {"prod_id": p["id"]})
    a = prod_attr(p)
    at = ""
    for x in sorted(a):
        at += f"""<span class="badge prodattr">{esc(x)}: {esc(a[x])}</span> """
    h = f"""<tr id=p{p["id"]}>
              <td class=text-muted>{p["id"]}</td>
              <td>{kiclink("prodview", ses, esc(p["name"]), "prodname", {"prod_id": p["id"]})}</td>
              <td><code>{esc(p["sku"])}</code></td>
              <td class=text-end>{prod_price(p["price"])}</td>
              <td>{at}</td>
              <td class="small text-muted">{kic_date(p["updated_at"], "disp")}</td>
              <td class=text-end>{edit}</td>
            </tr>
    """
    return h


def prodlist_none(w):
    """A row that says nothing was found, when nothing was."""
    if w:
        return ""
    h = f"""<tr id=prodnone>
              <td colspan=7 class="text-center text-muted py-4">{txt("No products found")}</td>
            </tr>
    """
    return h


def prodlist_foot(ses, w, more, pg, id, q, k, v):
    """The page's number, "first page" after page 1 and "next" when more rows follow."""
    srch = {"q": q, "k": k, "v": v}
    first = ""
    if id != "":
        first = kicbutton("prodlist", ses, txt("First page"), "btn btn-outline-primary", srch)
    nxt = ""
    if more:
        m = {"id": w[-1]["id"], "pg": pg + 1, **srch}
        nxt = kicbutton("prodlist", ses, txt("Next"), "btn btn-primary", m)
    h = f"""<div id=prodfoot class="d-flex align-items-center gap-2">
            <span id=prodpage class=text-muted>{txt("Page")} {pg}</span>
            <span id=prodfirst class=ms-auto>{first}</span>
            <span id=prodnext>{nxt}</span>
        </div>
    """
    return h
