# dashboard.py - the default page after login: a card per place to go
#
# Any addon adds its own cards with a manifest key:
#   'dashboard': [{'title': 'Products', 'explain': 'All products', 'page': 'prodlist'}]
from inphms.http import current_request
from tools.kicutil import *
from tools.kiclang import *

cards = [
    {"title": "Users", "explain": "The users of the system and their roles", "page": "users"},
    {"title": "Server", "explain": "Ask the server for its time, through the API", "page": "serverinfo"},
]


def dashboard(data):
    ses = data["ses"]
    h = f"""<div id=dashboard>
        <h2 id=dashtitle class=mb-4>{txt("Dashboard")}</h2>
        <div id=cards class="row g-3">
    """
    for c in cards + addon_cards():
        h += f"""<div class=col-md-4>
                {kiccard(txt(c["title"]), "", txt(c["explain"]), txt("View"), ses, c["page"])}
            </div>
        """
    h += """</div>
    </div>
    """
    return h


def addon_cards():
    w = []
    for a in current_request().app.addons:
        w += a.manifest.get("dashboard", [])
    return w
