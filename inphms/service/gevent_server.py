"""``--evented``: the same HTTP server and Application on gevent's greenlets.

gevent's monkey patching (applied first thing by ``inphms/__init__``, see
``inphms.patch_gevent``) turns the threads, sockets, locks and sleeps the
HTTP server uses into greenlets and cooperative calls.  So one process runs
a greenlet per connection: a request waiting on the database (PyMySQL on a
patched socket) lets the others run, and there is no lock between Python
threads for them to queue on.  The life of the process is ThreadedServer's:
the same signals, graceful stop, phoenix reload with the socket handed
over, memory limit.
"""
import logging

from inphms.patch_gevent import patched
from inphms.httpserver.server import make_http_server

from .server import ThreadedServer

_logger = logging.getLogger(__name__)


class GeventServer(ThreadedServer):
    listen_fd = None        # a prefork worker's: the master's socket
    http_kind = "gevent"

    def http_spawn(self):
        if not patched():
            _logger.warning("--evented without gevent's patching (the program is not the inphms "
                            "launcher): serving with threads")
        self.httpd = make_http_server(self.app, fd=self.listen_fd)
        self.start_http_thread()
