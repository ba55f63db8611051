from tools.db_appone import *

public = 1


def pubpage(data):
    h = f"""<p id=pub>public page {appone_hello()}</p>"""
    return h
