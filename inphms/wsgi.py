"""The Application as a plain WSGI callable, for other WSGI servers.

    # gunicorn
    INPHMS_RC=/etc/inphms.conf gunicorn -w 4 --threads 8 inphms.wsgi:application
    # Apache mod_wsgi: WSGIScriptAlias / /path/to/inphms/wsgi.py, with
    # SetEnv-like configuration of INPHMS_RC through the WSGI daemon's environment

On import it reads the config file (``$INPHMS_RC``, else ./inphms.conf)
and boots as the server does (``inphms.boot``: logging, addons, missing
tables, the Application), then gives ``inphms.http.root``.  It creates no first admin (there is no console to
show the password on): create users with ``python inphms-bin user add``.  Signals, reloads, limits and cron are the
hosting server's business here: reload by restarting its workers, and run
cron with ``python inphms-bin --no-http-enable`` beside it (or
``cron run JOB`` from the system's scheduler).
"""
import logging

from inphms import boot, http, sql
from inphms.auth import users
from inphms.config import config

_logger = logging.getLogger(__name__)


def load(args=()):
    """Configure the process and return the Application."""
    config.parse_config(list(args))
    boot.boot(config, app=True)
    if not users.count():
        _logger.warning("no users yet: create one with python inphms-bin user add NAME --roles admin")
    sql.close_all()         # a forking server's workers open their own connections
    return http.root



application = load()
