"""Logging of the process: format, level, file.

One format for every line: time, pid, level, logger, message.  With
``logfile`` the log goes to a WatchedFileHandler, so an operator's logrotate
can move the file away and the server opens a new one by itself.
"""
import logging
import logging.handlers
import sys

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

def init_logger(config):
    """(Re)configure the root logger from ``log_level`` and ``logfile``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if config["logfile"]:
        handler = logging.handlers.WatchedFileHandler(config["logfile"])
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(config["log_level"].upper())
    # werkzeug logs its own access lines; ours replace them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
