"""One start-up path: what the server, ``inphms.wsgi`` and every command do before their work.

The command line is parsed once, by ``config.parse_config`` (the launcher
does it for the server before anything else, see ``inphms.cli.command``).
Then ``prepare`` sets up logging and refuses MySQL's root user, and
``load`` loads the addons, creates their missing tables (or only opens the
database, ``tables=False``) and, with ``app=True``, hands them to the
Application (``inphms.http.root``) so that it indexes them now and an
override is logged at start-up.  ``boot`` is both.
"""
from inphms import errors, http, logsetup, printcapture, sql
from inphms.modules import module


def check_db_user(config):
    """The database superuser is refused, as Flyton's CGI refuses it; ours is MySQL's root."""
    if config["db_engine"] == "mysql" and config["db_user"] == "root":
        raise errors.StartupError("db_user = root is refused: create a database user for inphms")


def prepare(config, **overrides):
    """Logging as configured (``overrides``: options a command sets, e.g. its log level)."""
    for name, value in overrides.items():
        config[name] = value
    logsetup.init_logger(config)
    check_db_user(config)


def load(config, tables=True, app=False, first=None):
    """The loaded addons, their tables created, the Application built on them when ``app``.

    ``first``: called once the tables exist and before the Application is
    built (the server creates its first admin there).
    """
    addons = module.load_addons(config)
    if tables:
        sql.init_database(config, addons)
    else:
        sql.configure(config)
    if first is not None:
        first()
    if app:
        printcapture.install()
        http.root.setup(addons)
        http.root.registry      # index the addons now, so overrides are logged at start-up
    return addons


def boot(config, tables=True, app=False, **overrides):
    """``prepare`` then ``load``: the addons, ready to use."""
    prepare(config, **overrides)
    return load(config, tables=tables, app=app)
