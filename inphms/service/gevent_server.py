"""``--evented``: the same Application on gevent's pywsgi server.

One process, one greenlet per request: a request waiting on the database
(PyMySQL on gevent's patched sockets) lets the others run.  The life of the
process is ThreadedServer's: the same signals, graceful stop, phoenix reload
with the socket handed over, memory limit.  ``GeventHTTPD`` gives the
ThreadedServer what it asks of its HTTP server (busy count, drain, wait).
"""
import logging
import os
import socket
import time

from inphms.config import config
from inphms.logsetup import mask_secrets
from inphms.serving import open_listen_socket

from .server import ThreadedServer

_logger = logging.getLogger(__name__)
_access = logging.getLogger("inphms.access")


def handler_class():
    from gevent.pywsgi import WSGIHandler

    class Handler(WSGIHandler):
        """One connection; our access line, with secrets masked."""

        def log_request(self):
            duration = ((self.time_finish or time.time()) - self.time_start) * 1000
            status = (self._orig_status or self.status or "000").split()[0]
            client = self.client_address[0] if isinstance(self.client_address, tuple) else "-"
            _access.info("%s %s %s %s %.1fms", client, self.command, mask_secrets(self.path or ""),
                         status, duration)

        def handle_one_response(self):
            if getattr(self.server, "draining", False):
                self.close_connection = True        # no keep-alive while stopping
            return super().handle_one_response()

        def log_error(self, msg, *args):
            _logger.warning("%s", mask_secrets(msg % args if args else msg))

    return Handler


class GeventHTTPD:
    """gevent.pywsgi.WSGIServer with the interface ThreadedServer drives."""

    def __init__(self, app, fd=None):
        from gevent.pool import Pool
        from gevent.pywsgi import WSGIServer
        self.app = app
        if fd is None:
            self.socket = open_listen_socket(config["http_interface"], config["http_port"])
        else:   # a prefork worker: the master's socket
            self.socket = socket.socket(fileno=os.dup(fd))
        self.server_address = self.socket.getsockname()
        self.busy = 0
        self.requests_total = 0
        self.draining = False
        self.server = WSGIServer(self.socket, self.counted, spawn=Pool(),
                                 handler_class=handler_class(), log=None,
                                 error_log=logging.getLogger("inphms.gevent"))
        self.server.draining = False

    def counted(self, environ, start_response):
        self.busy += 1
        self.requests_total += 1
        try:
            return self.app(environ, start_response)
        finally:
            self.busy -= 1

    @property
    def connections(self):
        """Requests in flight (idle kept-alive connections do not count)."""
        return self.busy

    def fileno(self):
        return self.socket.fileno()

    def serve_forever(self):
        self.server.start()

    def start_draining(self):
        self.draining = self.server.draining = True

    def shutdown(self):
        self.server.close()         # stop accepting; running greenlets go on

    def wait_idle(self, timeout):
        deadline = time.monotonic() + timeout
        while self.busy:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        self.server.stop(timeout=1)     # what is left are idle kept-alive connections
        return True


class GeventServer(ThreadedServer):
    listen_fd = None

    def http_spawn(self):
        self.httpd = GeventHTTPD(self.app, self.listen_fd)
        self.httpd.serve_forever()
        host, port = self.httpd.server_address[:2]
        _logger.info("HTTP service (gevent) running on %s:%s", host, port)
