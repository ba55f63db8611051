# header.py - the top of the admin pages (the head itself comes before, as p4web.py printed it)


def header(data):
    print("""<script src="/lib/kicdev.server.js"></script>
<script src="/lib/flyproj.js"></script>
<nav id=flyhead class="navbar bg-light px-3"><span class=navbar-brand>flyproj</span></nav>""")
