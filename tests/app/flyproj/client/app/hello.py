# hello.py - an app of its own: ?app=hello&n=..  prints one part, returns the other


def main(data):
    n = data.get("n", "")
    print(f"<p id=printed>printed {n}</p>")
    return f"<p id=returned>returned {n}</p>"
