"""The `server` command (the default): parse config, check, report, serve."""
import csv
import logging
import os
import sys

import inphms
from inphms import errors, logsetup, patch_gevent
from inphms.config import config
from inphms.service import pidfile, server as service_server

from .command import Command, check_db_user

_logger = logging.getLogger("inphms")


def check_root_user():
    """Running as root works, but is a bad idea for a server: warn."""
    if os.name == "posix" and os.geteuid() == 0:
        sys.stderr.write("Running as user 'root' is a security risk.\n")


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
        check_root_user()
        config.parse_config(args)
        logsetup.init_logger(config)
        check_db_user()
        check_modes()
        report_configuration()
        # Large imports of CSV data (as the seed raises the field limit).
        csv.field_size_limit(500 * 1024 * 1024)
        pidfile.write(config["pidfile"])
        try:
            return service_server.start(stop=config["stop_after_init"])
        finally:
            pidfile.remove(config["pidfile"])
