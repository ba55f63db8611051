# footer.py - the bottom of every page


def footer(data):
    h = """<footer id=footer class="container text-muted small py-3">inphms</footer>
</body>
</html>
"""
    return h
