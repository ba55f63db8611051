# dashboard.py - the first page after login
from tools.sql import *
from tools.kicutil import *


def dashboard(data):
    ses = data["ses"]
    uid = data["s"]["my_user_id"]
    u = find_in_sql({'table': 'users', 'fld': 'id', 'val': uid, 'what': 'username'})
    note = esc(data["s"].get("note", ""))
    h = f"""<h1 id=flytitle>Hello {u[0]}</h1>
<p id=flyses>{len(ses)}</p>
<p id=lastnote>{note}</p>
<input id=note class=form-control>
<button id=savenote class="btn btn-primary" onclick=fly_save_note()>save</button>
<button id=keepqr class="btn btn-secondary" onclick=fly_keep_qr()>keep</button>
<span id=answer></span>"""
    return h
