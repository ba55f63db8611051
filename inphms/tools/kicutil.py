"""kicutil: page links, buttons, cards and form controls for Flyton pages.

    from tools.kicutil import *

    h = f'''<div id=prods>
              {kiccard(txt("Products"), "", txt("All active products"), txt("View"), ses, "prodlist")}
              {kicbutton("prodedit", ses, txt("Add"), "btn btn-primary", {"act": "add"})}
            </div>
    '''

The markup contract:
- attribute values (page names, sessions, classes, ids, URL parameters,
  input values, placeholders, events) are always escaped here;
- text arguments (titles, labels, explanations, option texts) are put in
  as given, so page code can pass markup; wrap user-supplied text in esc().

The page URL is /cgi-bin/p?app=start&r=309012&ses=..&rpage=..&k=v..., as in
Flyton: `r` is kept for the future and is always Flyton's number.
A button runs kicgo() of /lib/kicdev.js (load it once with kicbutton0()).

The `more={}` defaults are never changed by these functions, so sharing
the default dict is safe.
"""
import html
import re
import urllib.parse
from datetime import date, datetime, time, timedelta

# Flyton's kicutil imports kiclang's names, so `from tools.kicutil import *` gives txt() too
from inphms.tools.kiclang import load_dictionary, txt, txt1, txtDic, txtGetProp

__all__ = [
    "kic_more", "kicnav", "kiclink", "kicmenu", "kicnavbar", "kicbutton", "kicbutton0", "kiccard",
    "kic_icon", "cond_but", "kic_collapse", "kicinput", "kicselect", "kicselect_def", "kicselect_o",
    "kic_date", "esc", "txt", "txt1", "txtDic", "txtGetProp", "load_dictionary",
]

kicr = 309012
kicjs = "/lib/kicdev.js"

# URL parameters kicnav() writes itself: `more` may not set them again
kicown = ("app", "r", "ses", "rpage")

# keys of `more` that shape a card or a collapse; the others go to the URL
kiclook = ("width", "icon", "cls", "but_cls", "cid", "open", "color")

# kiccard's more["color"] -> the card's background class (Flyton's three)
kiccolors = {"red": "bg-danger", "green": "bg-success", "grey": "bg-secondary"}

# kic_icon(): a word of the card's title -> its icon (Flyton's)
kicicons = (("Insurance", "&#x1F6E1;"), ("Organizations", "&#x1F465;"), ("Occupation", "&#x1F4BC;"))

# kic_date() format names (Flyton's), else a strftime format
kicfmt = {
    "-": "%Y-%m-%d",
    "y0": "%Y",
    "disp": "%d-%m-%Y",
    8: "%d-%m-%Y",
    6: "%m/%d/%Y",
    "time": "%Y-%m-%d %H:%M",
}

kicunits = ("weeks", "days", "hours", "minutes")

# what quote_plus leaves as it is
urlsafe = re.compile(r"[A-Za-z0-9_.~-]*")


def kicnav(page, ses, more={}, app="start"):
    """The URL of a page: kicnav("prodedit", ses, {"prod_id": 30012})."""
    a = q(app)
    p = q(page)
    s = q(ses)
    return f"/cgi-bin/p?app={a}&r={kicr}&ses={s}&rpage={p}{kic_more(more)}"


def kic_more(more):
    """'&k=v' for each key of `more` but "use", keys and values URL-encoded."""
    a = ""
    for k, v in (more or {}).items():
        if k == "use":
            continue
        if k in kicown:
            raise ValueError(f"kicnav: '{k}' is set by kicnav itself, not by more")
        a += "&" + q(k) + "=" + q(urlval(v))
    return a


def q(v):
    """quote_plus(str(v)); text that needs no quoting (names, tokens) comes back at once."""
    s = str(v)
    if urlsafe.fullmatch(s):
        return s
    return urllib.parse.quote_plus(s)


def urlval(v):
    """A value as URL text: None -> "", True/False -> 1/0, else str()."""
    if v is None:
        return ""
    if v is True:
        return "1"
    if v is False:
        return "0"
    return str(v)


def kiclink(page, ses, title, cls="kicmenu", more={}, app="start"):
    """A plain link to a page: <a class=.. href=kicnav(..)>title</a>."""
    url = kicnav(page, ses, more, app)
    h = f"""<a class="{esc(cls)}" href="{esc(url)}">{title}</a>"""
    return h


def kicmenu(page, ses, title, cls="kicmenu"):
    """Flyton's link to a page: <a class=cls href=kicnav(page, ses)>title</a>."""
    return kiclink(page, ses, title, cls)


def kicnavbar(items, ses, cur="", more={}):
    """A nav bar of page links, the current page marked active (inphms's; see kicmenu for one link).

    items: {page: title} or a list of (page, title) / (page, title, params)
    more:  "id" of the nav (default kicmenu), "cls" of the nav
           (default "nav nav-pills"), "app" of the links (default start).
    Each link has id=menu_<page>.
    """
    more = more or {}
    nid = more.get("id", "kicmenu")
    cls = more.get("cls", "nav nav-pills")
    app = more.get("app", "start")
    if isinstance(items, dict):
        items = list(items.items())
    h = f"""<nav id="{esc(nid)}" class="{esc(cls)}">"""
    for t in items:
        h += kicmenu1(t, ses, cur, app)
    h += """
</nav>"""
    return h


def kicmenu1(t, ses, cur, app):
    """One link of kicmenu(): t is (page, title) or (page, title, params)."""
    page, title = t[0], t[1]
    m = {}
    if len(t) > 2:
        m = t[2]
    cls = "nav-link"
    cu = ""
    if str(page) == str(cur):
        cls = "nav-link active"
        cu = ' aria-current="page"'
    url = kicnav(page, ses, m, app)
    h = f"""
  <a id="{esc("menu_" + str(page))}" class="{cls}"{cu} href="{esc(url)}">{title}</a>"""
    return h


def kicbutton(page, ses, title, cls="kicmenu", more={}, app="start"):
    """A button that opens a page; more["use"] = ids of form elements to send.

    kicbutton("prodsave", ses, txt("Save"), "btn btn-primary",
              {"prod_id": 30012, "use": "name,price"})
    opens .../rpage=prodsave&prod_id=30012&name=<value>&price=<value>.
    """
    url = kicnav(page, ses, more, app)
    use = kicuse((more or {}).get("use", ""))
    go = f"kicgo('{url}','{use}')"
    h = f"""<button type="button" class="{esc(cls)}" onclick="{escq(go)}">{title}</button>"""
    return h


def kicuse(use):
    """The element ids of more["use"], each URL-encoded, joined by commas.

    `use` is "a,b", "a/b" (Flyton's separator) or a list of ids.
    Encoding keeps quotes and commas of odd ids out of the onclick code.
    """
    ids = use
    if isinstance(use, str):
        ids = re.split(r"[,/\s]+", use)
    w = [urllib.parse.quote(str(i), safe="") for i in ids if str(i)]
    return ",".join(w)


def kicbutton0():
    """The script tag of the button code; put it once in a page (or header)."""
    return f"""<script src="{kicjs}"></script>"""


def kiccard(title, title1, explain, button_text="", ses="", page="", more={}):
    """A bootstrap card: header title (+icon), body title, text and a button.

    more: "width" (css width, e.g. "450px"), "icon" (markup shown at the
    right of the header; else kic_icon()), "cls" (more card classes),
    "color" (red, green or grey: the card's background), "but_cls" (the
    button's bootstrap kind, "primary" by default, or its full classes);
    every other key (and "use") goes to the button's URL.
    """
    more = more or {}
    st = ""
    if more.get("width"):
        st = f''' style="width:{esc(more["width"])}"'''
    c = str(more.get("cls", ""))
    if more.get("color") in kiccolors:
        c = kiccolors[more["color"]]
    cls = esc(("card " + c).strip())
    icon = kic_icon(str(title), more)
    t1 = ""
    if title1:
        t1 = f"""<h5 class="card-title">{title1}</h5>"""
    but = cond_but(page, ses, button_text, more)
    h = f"""
<div class="{cls}"{st}>
  <div class="card-header d-flex justify-content-between align-items-center">
    <h5 class="mb-0">{title}</h5>
    <span class="ms-auto">{icon}</span>
  </div>
  <div class="card-body">
    {t1}
    <p class="card-text">{explain}</p>
    {but}
  </div>
</div>"""
    return h


def kic_icon(title, m):
    """The card's icon: m["icon"], else Flyton's icon of a word in the title, else ""."""
    if "icon" in m:
        return m["icon"]
    for w, i in kicicons:
        if w in title:
            return i
    return ""


def cond_but(page, ses, button_text, more):
    """The card's button, or "" when there is no button text.

    more["but_cls"] is the bootstrap kind ("danger" -> "btn btn-danger",
    Flyton's way), or full classes when it holds a space or starts with btn.
    """
    if not button_text:
        return ""
    bc = kicbutcls(more.get("but_cls", "primary"))
    return kicbutton(page, ses, button_text, bc, kicpars(more))


def kicbutcls(c):
    c = str(c)
    if " " in c or c.startswith("btn"):
        return c
    return "btn btn-" + c


def kicpars(more):
    """The keys of `more` that are URL parameters (not card/collapse looks)."""
    return {k: v for k, v in more.items() if k not in kiclook}


def kic_collapse(title, explain, button_text="", ses="", page="", more={}):
    """A card whose header opens and closes its body (bootstrap collapse).

    more: "cid" (id of the collapsing part, default col_<page>), "open"
    (1 = shown at first), "but_cls"; other keys go to the button's URL.
    """
    more = more or {}
    cid = more.get("cid") or "col_" + str(page)
    cid = re.sub(r"[^A-Za-z0-9_-]", "_", str(cid))
    show = ""
    if more.get("open"):
        show = " show"
    bc = kicbutcls(more.get("but_cls", "primary"))
    foot = ""
    if button_text:
        but = kicbutton(page, ses, button_text, bc, kicpars(more))
        foot = f"""<div class="card-footer">{but}</div>"""
    h = f"""
<div class="card">
  <div class="card-header">
    <button type="button" class="btn btn-link" data-bs-toggle="collapse" data-bs-target="#{cid}" aria-controls="{cid}">{title}</button>
  </div>
  <div id="{cid}" class="collapse{show}">
    <div class="card-body">{explain}</div>
    {foot}
  </div>
</div>"""
    return h


def kicinput(id, label, placeh="", more={}):
    """A labelled bootstrap input with id=name=id.

    more: "value", "type" (default text), "onchange" (JS, e.g.
    "prod_check()"), "req" (1 = required), "dis" (1 = disabled).
    """
    more = more or {}
    i = esc(id)
    lab = ""
    if label:
        lab = f"""<label for="{i}" class="form-label">{label}</label>"""
    t = esc(more.get("type", "text"))
    v = esc(more.get("value"))
    p = esc(placeh)
    ev = kicev(more)
    fl = kicflags(more)
    h = f"""
<div class="mb-3">
  {lab}
  <input type="{t}" class="form-control" id="{i}" name="{i}" placeholder="{p}" value="{v}"{ev}{fl}>
</div>"""
    return h


def kicev(more):
    """ onchange="..." when more has one."""
    if not more.get("onchange"):
        return ""
    return f''' onchange="{esc(more["onchange"])}"'''


def kicflags(more):
    """ required / disabled from more["req"] and more["dis"] (0/1)."""
    a = ""
    if more.get("req"):
        a += " required"
    if more.get("dis"):
        a += " disabled"
    return a


def kicselect(id, label, more={}):
    """Flyton's labelled bootstrap select with id=name=id.

    more: "data" the options: rows whose [0] and [1] are value and name
    (a find_in_sql list), or a {value: name} dict; "value" the selected
    value (compared as text); "empty" (any value) a first option 0 "None";
    "disable" (1 = disabled); inphms's "onchange", "req", "dis" too.
    An option reads "name - value", as Flyton's.
    """
    more = more or {}
    i = esc(id)
    lab = ""
    if label:
        lab = f"""<label for="{i}" class="form-label"> {label}</label>"""
    ev = kicev(more)
    fl = kicflags(more)
    if more.get("disable"):
        fl += " disabled"
    h = f"""
<div style="width:300px" class="mb-3">
  {lab}
  <select id="{i}" name="{i}" class="form-select" aria-label="{i}"{ev}{fl}>
    {kicselect_def(more)}{kicselect_o(more.get("value"), more.get("data") or [])}
  </select>
</div>"""
    return h


def kicselect_def(more):
    """The first option 0 "None" when more has "empty", else "" (Flyton's gives None, printed as text)."""
    if "empty" not in more:
        return ""
    return """<option value="0">None</option>"""


def kicselect_o(def1, data):
    """The <option> tags of rows (value, name) or a {value: name} dict, def1 selected.

    Values are compared as text: a query parameter ("3") selects row id 3.
    """
    if isinstance(data, dict):
        data = list(data.items())
    a = ""
    for x in data:
        v, name = x[0], x[1]
        sel = ""
        if def1 is not None and str(v) == str(def1):
            sel = " selected"
        a += f"""
    <option{sel} value="{esc(v)}">{name} - {esc(v)}</option>"""
    return a


def kic_date(h="", format="%Y-%m-%d"):
    """Format a date: kic_date(w["created_at"], "disp") -> "14-06-2024".

    h: a datetime/date, an ISO text ("2024-06-14", "2024-06-14 10:34:27",
    as SQLite gives them), or "" / "now" / None for now.
    format: a strftime format, or "-" (2024-06-14), "y0" (2024), "disp"/8
    (14-06-2024), 6 (06/14/2024), "time" (2024-06-14 10:34),
    "int"/3 (20240614 as an int), "add N days|hours|minutes|weeks" (the
    datetime N units later; N may be negative).
    """
    d, fmt = kicdt(h), format
    if fmt in ("int", 3):
        return int(d.strftime("%Y%m%d"))
    if str(fmt).startswith("add "):
        return kicdtadd(d, fmt)
    f = kicfmt.get(fmt, fmt)
    return d.strftime(str(f))


def kicdt(d):
    """A datetime from what kic_date() accepts."""
    if d is None or d == "" or d == "now":
        return datetime.now()
    if isinstance(d, datetime):
        return d
    if isinstance(d, date):
        return datetime.combine(d, time())
    try:
        return datetime.fromisoformat(str(d).strip())
    except ValueError:
        raise ValueError(f"kic_date: {d!r} is not a date") from None


def kicdtadd(d, fmt):
    """d moved by "add N unit"."""
    w = fmt.split()
    if len(w) != 3 or w[2] not in kicunits or not re.fullmatch(r"-?\d+", w[1]):
        raise ValueError(f"kic_date: {fmt!r} is not 'add N days|hours|minutes|weeks'")
    return d + timedelta(**{w[2]: int(w[1])})


def escq(text):
    """Text made safe for a double-quoted attribute; single quotes stay as they are.

    Used for onclick code, so kicgo('...') stays readable in the page.
    """
    return html.escape(str(text), quote=False).replace('"', "&quot;")


def esc(text):
    """Text made safe for HTML (text and attribute values); None -> ""."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True)
