# header.py - the top of every page: html head, libraries, the nav bar
from inphms.http import current_lang
from tools.kicutil import *
from tools.kiclang import *

rtl = ("he", "ar", "fa", "ur", "yi")


def header(data):
    ses = data["ses"]
    s = data["s"]
    home = kicnav("dashboard", ses)
    name = esc(s.get("uname", ""))
    lang = current_lang()
    d = "ltr"
    if lang in rtl:
        d = "rtl"
    h = f"""<!DOCTYPE html>
<html lang={esc(lang)} dir={d}>
<head>
    <meta charset=utf-8>
    <meta name=viewport content="width=device-width, initial-scale=1">
    <title>inphms</title>
    <link href="/lib/bootstrap.min.css" rel=stylesheet>
    <link href="/lib/web.css" rel=stylesheet>
    <script src="/lib/bootstrap.bundle.min.js"></script>
    <script src="/lib/kicdev.server.js"></script>
    <script src="/lib/web.js"></script>
    {kicbutton0()}
</head>
<body>
<nav id=topbar class="navbar navbar-dark bg-dark px-3">
    <a id=home class=navbar-brand href="{esc(home)}">inphms</a>
    <span id=user class="navbar-text ms-auto me-3">{name}</span>
    <button id=logout class="btn btn-outline-light btn-sm" onclick=web_logout()>{txt("Logout")}</button>
</nav>
"""
    return h
