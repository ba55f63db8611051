public = 1


def front(data):
    return f"<p id=front>shop front of app {data['app']}</p>"
