"""inphms's HTTP/1.1 server, one package for every process model.

- ``server``: the listening socket (bound, or handed over by systemd or the
  previous image), the accept loop, requests in flight, and
  ``make_http_server``, which builds it from the configuration for the
  threaded, evented and prefork models alike;
- ``pool``: the threaded model's poller and its few request threads;
- ``balance``: how prefork workers share new connections (the fewest first);
- ``connection``: one client connection, its requests, their answers;
- ``protocol``: the request parser (httptools, which is llhttp) and the
  rules of RFC 9112 a parser leaves to the server;
- ``accesslog``: the access log line, secrets masked, control bytes escaped.
"""
