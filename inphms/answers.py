"""Answers: the response object the dispatchers return, and the headers every answer carries.

``Answer`` is an answer whose body is known (status, header list, bytes);
``plain`` a one-line text answer; ``secure`` marks a werkzeug response
(a redirect) as never cached; ``with_security_headers`` adds the security
headers to whatever the Application sends.  Both the Application
(``inphms.http``) and every dispatcher (``inphms.dispatchers``) import this
module, and it imports neither: that is what keeps them out of a cycle.
"""
from http import HTTPStatus

# sent with every answer of the Application, unless the answer has its own
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
}
SECURITY_ITEMS = [(name.lower(), (name, value)) for name, value in SECURITY_HEADERS.items()]
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
NO_STORE = (("Cache-Control", "no-store"),)


class Answer:
    """An answer whose body is known: status, header list, bytes.

    What the page and API dispatchers send; a werkzeug Response does the
    same with several times the work (its header object, its iterator).
    """

    def __init__(self, body, status=200, content_type="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.body = body
        self.status_code = status
        if status in (204, 304):     # no body, so no Content-Length (RFC 9110 8.6)
            self.headers = list(headers)
            return
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
                        *headers]

    def __call__(self, environ, start_response):
        status = STATUS_LINES.get(self.status_code) or f"{self.status_code} UNKNOWN"
        start_response(status, list(self.headers))
        if environ["REQUEST_METHOD"] == "HEAD":
            return []
        return [self.body]


def plain(status, text):
    """A one-line text answer that is never cached."""
    return Answer(text + "\n", status, "text/plain; charset=utf-8", NO_STORE)


def secure(response):
    """A werkzeug response (a redirect) that is never cached.

    An ``Answer`` is made with ``NO_STORE`` instead; the security headers
    come with every answer (``with_security_headers``).
    """
    response.headers["Cache-Control"] = "no-store"
    return response


def add_security_headers(headers):
    """Add to the list ``headers`` the security headers it does not set itself."""
    present = {name.lower() for name, _ in headers}
    headers.extend(item for lower, item in SECURITY_ITEMS if lower not in present)
    return headers


def with_security_headers(start_response):
    """``start_response`` that adds the security headers the answer does not set itself."""
    def start(status, headers, exc_info=None):
        return start_response(status, add_security_headers(headers), exc_info)
    return start
