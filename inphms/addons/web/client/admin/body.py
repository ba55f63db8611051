# body.py - the frame around the page of rpage


def body(data, page):
    h = f"""<main id=body class="container py-4">
{page}
</main>
"""
    return h
