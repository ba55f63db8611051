"""Logging of the process: format, level, file, and masking of secrets.

One format for every line: time, pid, level, logger, message.  With
``logfile`` the log goes to a WatchedFileHandler, so an operator's logrotate
can move the file away and the server opens a new one by itself.
"""
import logging
import logging.handlers
import re
import sys

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

# Query-string keys whose values never reach a log line.
SECRET_KEYS = ("ses", "password", "passwd", "pwd", "sis", "token", "pre")
SECRET_RE = re.compile(r"(?i)(^|[?&])(" + "|".join(SECRET_KEYS) + r")=[^&#\s]*")


def mask_secrets(text):
    """``/p?ses=abc&rpage=x`` -> ``/p?ses=***&rpage=x``."""
    return SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}=***", text)


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
