# users.py - the users of the system (admin only)
# who is admin is the runtime's rule (inphms.auth), never a tool an addon could shadow
from tools.kicutil import *
from tools.kiclang import *
from tools.sql import *
from inphms.auth import sessions
from inphms.auth.roles import parse_roles


def users(data):
    ses = data["ses"]
    if not sessions.has_role(ses, "admin"):
        return "no alw"
    h = f"""<div id=users>
        <h2 class=mb-3>{txt("Users")}</h2>
        <table id=userstab class="table table-sm">
        <tr><th>id</th><th>{txt("User name")}</th><th>{txt("Name")}</th><th>{txt("Roles")}</th><th>{txt("Active")}</th></tr>
    """
    id = ""
    for u in sql_order({"table": "users", "id": id, "is_active": ""}):
        id = u["id"]
        name = f"{u['FirstName'] or ''} {u['LastName'] or ''}"
        h += f"""<tr id=u{u["id"]}><td>{u["id"]}</td><td>{esc(u["username"])}</td><td>{esc(name)}</td>
            <td>{esc(",".join(parse_roles(u["Roles"])))}</td><td>{u["is_active"]}</td></tr>
        """
    h += "</table></div>"
    return h
