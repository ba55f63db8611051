# dashboard.py - the default page after login: a card per place to go
from tools.kicutil import *
from tools.kiclang import *


def dashboard(data):
    ses = data["ses"]
    h = f"""<div id=dashboard>
        <h2 id=dashtitle class=mb-4>{txt("Dashboard")}</h2>
        <div id=cards class="row g-3">
            <div class=col-md-4>
                {kiccard(txt("Users"), "", txt("The users of the system and their roles"), txt("View"), ses, "users")}
            </div>
            <div class=col-md-4>
                {kiccard(txt("Server"), "", txt("Ask the server for its time, through the API"), txt("View"), ses, "serverinfo")}
            </div>
        </div>
    </div>
    """
    return h
