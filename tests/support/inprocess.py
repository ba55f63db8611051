"""The HTTP server run inside the test's own process, for tests of its limits and threads.

``serve(app)`` starts ``ThreadedWSGIServerReloadable`` on a free loopback
port with its accept loop in a thread; ``close`` stops it.  The module
constants of ``inphms.httpserver.connection`` and ``.server`` (time limits) can be
shortened with ``monkeypatch`` first.
"""
import socket
import threading

from inphms.httpserver import server as serving


def serve(app, kernel_timeouts=None, **options):
    """A server for ``app`` accepting on 127.0.0.1; ``options`` go to the server."""
    server = serving.ThreadedWSGIServerReloadable("127.0.0.1", 0, app, **options)
    if kernel_timeouts is not None:
        server.kernel_timeouts = kernel_timeouts
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def close(server):
    server.shutdown()
    server.server_close()


def connect(server, timeout):
    sock = socket.create_connection(server.server_address[:2])
    sock.settimeout(timeout)
    return sock
