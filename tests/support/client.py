"""Small HTTP and session helpers for tests that talk to a real server."""
import http.client
import json
import secrets
import string

from inphms import sql
from inphms.config import configmanager

TOKEN_CHARS = string.ascii_letters + string.digits + "-_"


def request(port, method, path, body=None, headers=None, timeout=15):
    """(status, headers dict, body bytes) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def api(port, meth, inp=None, ses="", path="/cgi-bin/api", **more):
    """Call an API as call_server() does: (status, the "server" dict)."""
    body = {"info": {"os": "a", "ses": ses, "uses": ""}, "input": inp or {}}
    status, _, raw = request(port, "POST", f"{path}?meth={meth}", body, **more)
    return status, json.loads(raw)["server"]


def db_config(config_path):
    cfg = configmanager()
    cfg.parse_config(["-c", config_path])
    return cfg


def new_session(config_path, user_id=4001, data=None, active=1):
    """Create a ses row directly in the server's database; returns its token."""
    token = "".join(secrets.choice(TOKEN_CHARS) for _ in range(84))
    sql.configure(db_config(config_path))
    with sql.cursor() as cr:
        cr.execute("INSERT INTO ses (id, user_id, is_active, data) VALUES (%s, %s, %s, %s)",
                   (token, user_id, active, json.dumps(data or {})))
    return token
