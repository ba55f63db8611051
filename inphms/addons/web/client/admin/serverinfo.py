# serverinfo.py - a page that asks the server through call_server()
from tools.kiclang import *


def serverinfo(data):
    h = f"""<div id=serverinfo>
        <h2 class=mb-3>{txt("Server")}</h2>
        <button id=asktime class="btn btn-primary" onclick=web_server_time()>{txt("Ask the server")}</button>
        <p id=servertime class=mt-3></p>
    </div>
    """
    return h
