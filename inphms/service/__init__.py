"""The server process: its process models (threaded, evented, prefork), signals, limits, cron.

``start`` chooses the model and runs it; ``server``, ``gevent_server`` and
``prefork`` are the three models; ``process`` is what they share (re-exec,
stack dumps, forced exit).
"""
