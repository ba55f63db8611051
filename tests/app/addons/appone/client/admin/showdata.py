import json


def showdata(data):
    h = f"""<pre id=data>{json.dumps(data, sort_keys=True)}</pre>"""
    return h
