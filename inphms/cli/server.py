"""The `server` command (the default): check, report, serve.

Its command line was parsed by ``main()`` already (before any other import,
for gevent's sake: see ``inphms.cli.command``).
"""
import csv
import logging
import os

import inphms
from inphms import boot, errors, patch_gevent
from inphms.config import config
from inphms.service import pidfile, start

from .command import Command

_logger = logging.getLogger("inphms")


def check_modes():
    """Evented (alone or in prefork workers) needs gevent's patching, done by the
    launcher before any import."""
    if config["evented"] and not patch_gevent.patched():
        raise errors.ConfigError("option evented: gevent must patch the process first; "
                                 "start it with python inphms-bin --evented")


def report_configuration():
    _logger.info("inphms version %s", inphms.__version__)
    if config.config_file and os.path.exists(config.config_file):
        _logger.info("using configuration file at %s", config.config_file)
    else:
        _logger.info("no configuration file (defaults and command line)")
    _logger.info("addons paths: %s", ", ".join(config["addons_path"]) or "(server-wide only)")
    _logger.info("database: %s", config.db_target())


class Server(Command):
    """Run the HTTP server and the cron threads (the default command)."""
    help = "run the server (default)"

    def run(self, args):
        boot.prepare(config)
        check_modes()
        report_configuration()
        # Large imports of CSV data (Flyton's CGI raises the field limit the same way).
        csv.field_size_limit(500 * 1024 * 1024)
        pidfile.write(config["pidfile"])
        try:
            return start.start(stop=config["stop_after_init"])
        finally:
            pidfile.remove(config["pidfile"])
