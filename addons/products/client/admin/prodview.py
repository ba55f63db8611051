# prodview.py - one product: its fields, its attributes and its history (prod_data lines)
#
# parameters: prod_id
from tools.kicutil import *
from tools.kiclang import *
from tools.db_prod import *


def prodview(data):
    ses = data["ses"]
    p = db_prod(data.get("prod_id", ""))
    if not p:
        return prodview_none(ses)
    state = f"""<span id=prodstate class="badge text-bg-success">{txt("Active")}</span>"""
    if not p["is_active"]:
        state = f"""<span id=prodstate class="badge text-bg-danger">{txt("Switched off")}</span>"""
    h = f"""<div id=prodview dir={prod_dir(data["s"])}>
        <div class="d-flex flex-wrap align-items-center gap-2 mb-3">
          <h2 id=prodname class="me-2 mb-0">{esc(p["name"])}</h2>
          {state}
          <span class=ms-auto>{kicbutton("prodedit", ses, txt("Edit"), "btn btn-primary", {"prod_id": p["id"]})}</span>
          {kicbutton("prodlist", ses, txt("Back to the list"), "btn btn-outline-secondary")}
        </div>
        <div class="row g-3 mb-4">
          <div class=col-md-5>
            <table id=prodfields class="table table-sm">
              <tr><th>#</th><td id=prodid>{p["id"]}</td></tr>
              <tr><th>{txt("SKU")}</th><td id=prodsku><code>{esc(p["sku"])}</code></td></tr>
              <tr><th>{txt("Price")}</th><td id=prodprice>{prod_price(p["price"])}</td></tr>
              <tr><th>{txt("Created")}</th><td>{kic_date(p["created_at"], "time")}</td></tr>
              <tr><th>{txt("Updated")}</th><td>{kic_date(p["updated_at"], "time")}</td></tr>
            </table>
          </div>
          <div class=col-md-7>
            <h5>{txt("Attributes")}</h5>
            {prodview_attr(p["data"])}
          </div>
        </div>
        <h5>{txt("History")}</h5>
        {prodview_lines(prod_lines(p["id"]))}
    </div>
    <link href="/lib/prod.css" rel=stylesheet>
    """
    return h


def prodview_none(ses):
    h = f"""<div id=prodview>
        <p id=prodnone class=text-muted>{txt("No such product")}</p>
        {kicbutton("prodlist", ses, txt("Back to the list"), "btn btn-outline-secondary")}
    </div>
    """
    return h


def prodview_attr(a):
    """The attributes as a table of name and value."""
    if not a:
        return f"""<p id=prodattr class=text-muted>{txt("No attributes")}</p>"""
    h = """<table id=prodattr class="table table-sm">"""
    for k in sorted(a):
        h += f"""<tr><th>{esc(k)}</th><td>{esc(a[k])}</td></tr>
        """
    h += "</table>"
    return h


def prodview_lines(w):
    """The history lines, the newest first: when, what, who, the changes and the note."""
    if not w:
        return f"""<p id=prodlines class=text-muted>{txt("No history yet")}</p>"""
    h = f"""<table id=prodlines class="table table-sm">
        <tr><th>{txt("When")}</th><th>{txt("What")}</th><th>{txt("Who")}</th><th>{txt("Details")}</th></tr>
    """
    for x in w:
        d = x["data"]
        h += f"""<tr id=l{x["id"]}>
            <td class=text-nowrap>{kic_date(x["created_at"], "time")}</td>
            <td>{txt(x["name"])}</td>
            <td>{esc(d.get("uname", ""))}</td>
            <td>{prodview_what(d)}{prodview_note(d)}</td>
        </tr>
        """
    h += "</table>"
    return h


def prodview_what(d):
    """The changes of a line: "Price: 12.00 -> 12.50" (a new product: its values)."""
    now = d.get("now", {})
    was = d.get("was")
    h = ""
    for k in now:
        t = prodview_val(k, now[k])
        if was is not None:
            t = f"""{prodview_val(k, was.get(k, ""))} &rarr; {t}"""
        h += f"""<div>{prodview_key(k)}: {t}</div>"""
    return h


def prodview_key(k):
    """The label of a field; an attribute's own name."""
    names = {"name": txt("Name"), "sku": txt("SKU"), "price": txt("Price")}
    return names.get(k, esc(k))


def prodview_val(k, v):
    """A value of a line as HTML: prices as 12.50, an empty value as a dash."""
    if v == "" or v is None:
        return "&mdash;"
    if k == "price":
        return prod_price(v)
    return esc(v)


def prodview_note(d):
    if not d.get("note"):
        return ""
    return f"""<div class=prodnote>{txt("Note")}: {esc(d["note"])}</div>"""
