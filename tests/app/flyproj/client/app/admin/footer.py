# footer.py - the bottom of the admin pages


def footer(data):
    print("<footer id=flyfoot class=p-3>flyproj footer</footer>")
