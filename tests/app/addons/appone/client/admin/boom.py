def boom(data):
    raise ValueError("kaboom-in-page")
