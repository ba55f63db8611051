"""The `db` command: `db init` creates the addons' tables, `db sql` opens the SQL shell."""
import sys

from inphms import errors, logsetup, sql
from inphms.config import config
from inphms.modules.module import load_addons
from inphms.sql.shell import open_shell

from .command import PROG, Command, check_db_user

SUBCOMMANDS = ("init", "sql")


class Db(Command):
    """Database chores of the configured database."""
    name = "db"
    help = "database: init (create the addons' missing tables), sql (open the SQL shell)"

    def run(self, args):
        config.parse_config(args, usage="%prog db init|sql [options]", positional=True)
        if len(config.args) != 1 or config.args[0] not in SUBCOMMANDS:
            given = " ".join(config.args) or "nothing"
            print(f"{PROG} db: expected init or sql, got {given}", file=sys.stderr)
            return errors.EXIT_USAGE
        check_db_user()
        if config.args[0] == "sql":
            return open_shell(config)
        return self.init()

    def init(self):
        logsetup.init_logger(config)
        addons = load_addons(config)
        try:
            created = sql.init_database(config, addons)
        finally:
            sql.close_all()
        print(f"db init: {len(created)} tables created on {config.db_target()}"
              + (": " + ", ".join(created) if created else ""))
        return 0
