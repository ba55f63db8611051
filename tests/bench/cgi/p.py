#!/usr/bin/env python3
"""The Flyton CGI reference: the dashboard as Flyton serves it today under Apache.

Each request is a new Python process: it reads QUERY_STRING, opens a new
PyMySQL connection, looks the session up (the same query and throttled touch
as inphms), prints the same HTML as inphms's dashboard, and exits.  The
queries and the HTML come from reference_app.py, copied beside this script by
tests/bench/run.py, which also writes the interpreter line and passes the
database (BENCH_DB_*) and the page's template (BENCH_PAGE_TEMPLATE) through
the environment.
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference_app as ref  # noqa: E402

HEADERS = "".join(f"{k}: {v}\r\n" for k, v in ref.SECURITY_HEADERS.items())


def p():
    q = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
    ses = q.get("ses", [""])[0]
    conn = ref.connect()
    try:
        s = ref.load_session(conn, ses)
    finally:
        conn.close()
    if s is None:
        sys.stdout.write(f"Status: 302 Found\r\nLocation: {ref.LOGIN_PAGE}\r\n\r\n")
        return
    body = ref.dashboard_html(ref.page_template(), ses, s).encode()
    out = sys.stdout.buffer
    out.write(f"Content-Type: text/html; charset=utf-8\r\n{HEADERS}"
              f"Content-Length: {len(body)}\r\n\r\n".encode())
    out.write(body)
    out.flush()


if __name__ == "__main__":
    p()
