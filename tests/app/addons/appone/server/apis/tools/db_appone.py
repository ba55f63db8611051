# db_appone.py - a tool of the appone addon, imported as tools.db_appone
__all__ = ["appone_hello"]


def appone_hello():
    return "hi from the appone tool"
