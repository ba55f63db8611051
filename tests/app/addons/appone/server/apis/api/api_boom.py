def api_boom(data):
    raise RuntimeError("kaboom-in-api")
