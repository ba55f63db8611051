"""The bare hello-world WSGI app of the benchmark: the ceiling of a Python server.

    gunicorn -w 2 --threads 8 -b 127.0.0.1:PORT hello:app
    python tests/bench/hello.py --port PORT        # werkzeug's ThreadedWSGIServer

HELLO_BYTES (environment) pads the body to that many bytes, so the answer
can have the size of the static file inphms serves in the same run
(tests/bench/run.py sets it); unset, the body is "Hello, world!".
"""
import argparse
import os

TEXT = b"Hello, world!"


def body(size):
    if size <= len(TEXT):
        return TEXT
    return TEXT + b"\n" + b"x" * (size - len(TEXT) - 2) + b"\n"


BODY = body(int(os.environ.get("HELLO_BYTES") or 0))
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [BODY]


def main():
    parser = argparse.ArgumentParser(description="hello-world on werkzeug's ThreadedWSGIServer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def log_request(self, *args):
            # no access line per request: inphms in the same run logs none either
            pass

    ThreadedWSGIServer(args.host, args.port, app, handler=Handler).serve_forever()


if __name__ == "__main__":
    main()
