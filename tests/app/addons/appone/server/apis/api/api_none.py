def api_none(data):
    return
