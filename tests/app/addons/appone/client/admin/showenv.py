import json

from inphms.http import current_request


def showenv(data):
    env = current_request().httprequest.environ
    h = f"""<pre id=env>{json.dumps(sorted(env))}</pre>"""
    return h
