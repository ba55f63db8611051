"""HTTP/1.1 request parsers side by side: how strict, and how fast.

    python tests/bench/parsers.py

For each parser (httptools, which is llhttp; h11; and inphms's own
connection layer, which uses httptools plus the checks of RFC 9112 that a
parser leaves to the server), the smuggling and strictness cases of
``CASES`` are fed one by one and counted as refused (the parser raised) or
taken; then a typical browser request head is parsed many times and the
microseconds per request printed.  Parsing only: no sockets, no
application.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CASES = {
    "TE with a space inside": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ch unked\r\n\r\n"
                              b"5\r\nhello\r\n0\r\n\r\n",
    "empty TE, CL used": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\nContent-Length: 5\r\n\r\nhello",
    "empty CL": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\nhelloGET /second HTTP/1.1\r\n"
                b"Host: a\r\n\r\n",
    "trailers without last CRLF": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"5\r\nhello\r\n0\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n",
    "chunked on HTTP/1.0": b"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"5\r\nhello\r\n0\r\n\r\n",
    "space after chunk size": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"5 \r\nhello\r\n0\r\n\r\n",
    "space before chunk size": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b" 5\r\nhello\r\n0\r\n\r\n",
    "space after chunk data": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"5\r\nhello \r\n0\r\n\r\n",
    "chunk longer than size": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"3\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bare LF in a header value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nContent-Length: 5\r\n\r\nhello",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "two Host": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "no Host on 1.1": b"GET / HTTP/1.1\r\nX: a\r\n\r\n",
    "HTTP/1.10": b"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
    "GET *": b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "fragment in target": b"GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n",
    "CL and TE": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"0\r\n\r\n",
    "CL twice": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
    "CL +1": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx",
    "TE twice": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "NUL in a header": b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
    "ESC in the target": b"GET /a\x1bb HTTP/1.1\r\nHost: a\r\n\r\n",
    "lower-case method": b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
}

TYPICAL = (b"GET /web/dashboard?rpage=home&x=1 HTTP/1.1\r\nHost: 127.0.0.1:8069\r\n"
           b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0\r\n"
           b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
           b"Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"
           b"Cookie: ses=0123456789abcdef0123456789abcdef; theme=dark\r\n"
           b"Connection: keep-alive\r\n\r\n")


def parse_httptools(raw):
    """Every message of ``raw`` through one httptools parser; raises on a refusal."""
    import httptools

    class Sink:
        def __init__(self):
            self.headers = []

        def on_url(self, url):
            self.url = url

        def on_header(self, name, value):
            self.headers.append((name, value))

    parser = httptools.HttpRequestParser(Sink())
    try:
        parser.feed_data(raw)
    except httptools.HttpParserUpgrade:
        pass


def parse_h11(raw):
    """Every message of ``raw`` through h11, answering each so the next may follow."""
    import h11
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(raw)
    conn.receive_data(b"")
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
            return
        if event is h11.PAUSED:
            return
        if isinstance(event, h11.EndOfMessage):
            conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()


def parse_inphms(raw):
    """Every message of ``raw`` through inphms's request parser (httptools and its checks)."""
    from inphms.httpserver.protocol import RequestParser
    parser = RequestParser()
    parser.feed(raw)
    while parser.messages:
        message = parser.messages.popleft()
        if message.error:
            raise ValueError(message.error)
        message.check()


PARSERS = {"httptools": parse_httptools, "h11": parse_h11, "inphms": parse_inphms}


def strictness(parse):
    refused, taken = 0, []
    for name, raw in CASES.items():
        try:
            parse(raw)
        except Exception:
            refused += 1
        else:
            taken.append(name)
    return refused, taken


def speed(parse, count=20000):
    start = time.perf_counter()
    for _ in range(count):
        parse(TYPICAL)
    return (time.perf_counter() - start) / count * 1e6


def main(names):
    for name in names or PARSERS:
        parse = PARSERS[name]
        refused, taken = strictness(parse)
        print(f"{name:10} refused {refused}/{len(CASES)}  {speed(parse):6.1f} us per request head"
              f"  taken: {', '.join(taken) or '-'}")


if __name__ == "__main__":
    main(sys.argv[1:])
