# db_fly.py - a tool of the project only


def fly_hello():
    return "hi from db_fly"
