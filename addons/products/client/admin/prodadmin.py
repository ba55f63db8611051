# prodadmin.py - the products' admin page (role admin only): counts, and switching
# products off and on again (prod.js prod_off -> api_prod_off)
#
# parameters: aq  part of a product's name (all products, the last changed first)
from tools.sql import *
from tools.kicutil import *
from tools.kiclang import *
from tools.db_ses import *
from tools.db_prod import *


def prodadmin(data):
    ses = data["ses"]
    if not is_ses_role(ses, "admin"):
        return "no alw"
    aq = data.get("aq", "").strip()
    h = f"""<div id=prodadmin dir={prod_dir(data["s"])}>
        <div class="d-flex align-items-center gap-2 mb-3">
          <h2 class="me-auto mb-0">{txt("Product admin")}</h2>
          {kicbutton("prodlist", ses, txt("Back to the list"), "btn btn-outline-secondary")}
        </div>
        {prodadmin_counts()}
        <div id=adminsearch class="row g-2 align-items-end">
          <div class=col-md-6>{kicinput("aq", txt("Name"), txt("part of the name"), {"value": aq})}</div>
          <div class="col-md-2 mb-3">
            {kicbutton("prodadmin", ses, txt("Search"), "btn btn-primary", {"use": "aq"})}
          </div>
        </div>
        <div id=adminmsg class="text-danger mb-2"></div>
        <table id=admintab class="table table-sm align-middle">
          <tr><th>#</th><th>{txt("Name")}</th><th>{txt("SKU")}</th><th>{txt("Updated")}</th>
              <th>{txt("State")}</th><th></th></tr>
    """
    for p in prod_find(aq):
        h += prodadmin_row(p, ses)
    h += """</table>
    </div>
    <link href="/lib/prod.css" rel=stylesheet>
    <script src="/lib/prod.js"></script>
    """
    return h


def prodadmin_counts():
    """Four numbers: active, switched off, history lines, and the cron job's last count."""
    g = gen_data().get("prod_count", {})
    at = g.get("data", {}).get("at", txt("not counted yet"))
    h = f"""<div id=admincounts class="row g-3 mb-4">
          {prodadmin_card(txt("Active products"), "cntact", prod_count({}, 1))}
          {prodadmin_card(txt("Switched off"), "cntoff", prod_count({}, 0))}
          {prodadmin_card(txt("History lines"), "cntlines", prod_data_count())}
          {prodadmin_card(txt("Counted by the cron job"), "cntcron", esc(g.get("val", "-")), at)}
        </div>
    """
    return h


def prodadmin_card(title, id, n, at=""):
    """A card with a title, a number (id=id) and a small line under it (id=<id>at)."""
    h = f"""<div class=col-md-3>
            <div class="card card-body h-100">
              <div class=text-muted>{title}</div>
              <div id={id} class=fs-3>{n}</div>
              <div id={id}at class="small text-muted">{esc(at)}</div>
            </div>
          </div>
    """
    return h


def prodadmin_row(p, ses):
    """A product with its state and the button that switches it off (or on again)."""
    state = f"""<span class="badge text-bg-success">{txt("Active")}</span>"""
    cls = "btn btn-sm btn-outline-danger"
    off = 1
    label = txt("Switch off")
    if not p["is_active"]:
        state = f"""<span class="badge text-bg-danger">{txt("Switched off")}</span>"""
        cls = "btn btn-sm btn-outline-success"
        off = 0
        label = txt("Switch on")
    h = f"""<tr id=a{p["id"]}>
            <td>{p["id"]}</td>
            <td>{kiclink("prodview", ses, esc(p["name"]), "prodname", {"prod_id": p["id"]})}</td>
            <td><code>{esc(p["sku"])}</code></td>
            <td class="small text-muted">{kic_date(p["updated_at"], "time")}</td>
            <td>{state}</td>
            <td class=text-end>
              <button id=off{p["id"]} type=button class="{cls}" onclick="prod_off({p["id"]}, {off})">{label}</button>
            </td>
        </tr>
    """
    return h
