"""A CGI runner from the standard library, for machines without Apache.

    python tests/bench/cgi/runner.py --port PORT --cgi-bin FOLDER [--timing-log FILE]

Like Apache's mod_cgi, every request to ``/cgi-bin/<name>`` starts the
script ``FOLDER/<name>`` as a new process with the CGI/1.1 environment, the
request body on its standard input, and sends back what it prints (its
``Status:`` header as the status line).  HTTP/1.1 with keep-alive, one
thread per connection.  It serves 127.0.0.1 only.  ``--timing-log`` gets a
line per request, as Apache's log of apache.py: when it ended and how long
it took, in microseconds ("END_US DURATION_US").
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class CgiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cgi_bin = ""
    timing_log = None
    timing_lock = threading.Lock()

    def do_GET(self):
        started = time.perf_counter()
        self.run_script()
        if self.timing_log:
            took = time.perf_counter() - started
            with self.timing_lock, open(self.timing_log, "a") as handle:
                handle.write(f"{int(time.time() * 1e6)} {int(took * 1e6)}\n")

    do_POST = do_GET

    def log_message(self, format, *args):
        pass

    def run_script(self):
        path, _, query = self.path.partition("?")
        folder, _, name = path.lstrip("/").partition("/")
        script = os.path.join(self.cgi_bin, name)
        if folder != "cgi-bin" or not NAME_RE.match(name) or not os.path.isfile(script):
            self.answer(404, [("Content-Type", "text/plain")], b"not found\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            done = subprocess.run([script], input=body, env=self.environment(path, query, length),
                                  stdout=subprocess.PIPE, timeout=60)
        except subprocess.TimeoutExpired:
            self.answer(504, [("Content-Type", "text/plain")], b"script timed out\n")
            return
        if done.returncode:
            self.answer(500, [("Content-Type", "text/plain")], b"script failed\n")
            return
        status, headers, out = parse_output(done.stdout)
        self.answer(status, headers, out)

    def environment(self, path, query, length):
        env = dict(os.environ)
        env.update({
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "bench-cgi-runner",
            "SERVER_PROTOCOL": self.request_version, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]), "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": path, "PATH_INFO": "", "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0], "CONTENT_LENGTH": str(length or ""),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
        })
        for key, value in self.headers.items():
            env["HTTP_" + key.upper().replace("-", "_")] = value
        return env

    def answer(self, status, headers, body):
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128     # as many waiting connections as the benchmark opens


def parse_output(raw):
    """(status, headers, body) of a CGI script's output."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = raw.partition(b"\n\n")
    status, headers = 200, []
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key.lower() == "status":
            status = int(value.split()[0])
            continue
        if key.lower() == "location" and status == 200:
            status = 302
        headers.append((key, value))
    return status, headers, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cgi-bin", required=True)
    parser.add_argument("--timing-log", help="a line per request: END_US DURATION_US")
    args = parser.parse_args()
    CgiHandler.cgi_bin = os.path.abspath(args.cgi_bin)
    CgiHandler.timing_log = args.timing_log
    server = Server(("127.0.0.1", args.port), CgiHandler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
