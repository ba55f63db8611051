"""The `db` command: `db init` creates the addons' tables, `db diff` brings the
existing ones up to their tables.sql, `db sql` opens the SQL shell.

    python inphms-bin db diff            print the statements (nothing is changed)
    python inphms-bin db diff --apply    run them, printing each one first

`db diff` writes the statements on stdout (SQL the shell takes; notes as
`--` comments) and a summary line on stderr.  Exit status: 0, or 1 when a
change is left for the operator (SQLite cannot make it; see the notes).
"""
import optparse
import sys

from inphms import boot, errors, sql
from inphms.config import config
from inphms.sql import diff
from inphms.sql.init import read_tables
from inphms.sql.shell import open_shell

from .command import PROG, Command

SUBCOMMANDS = ("init", "diff", "sql")
OPTIONS = [
    optparse.make_option("--apply", action="store_true", default=False,
                         help="db diff: run the statements instead of only printing them"),
]


class Db(Command):
    """Database chores of the configured database."""
    name = "db"
    help = "database: init (missing tables), diff [--apply] (changed tables.sql), sql (SQL shell)"

    usage = "%prog db init|diff [--apply]|sql [options]"
    options = OPTIONS
    positional = True

    def run(self, args):
        if len(config.args) != 1 or config.args[0] not in SUBCOMMANDS:
            given = " ".join(config.args) or "nothing"
            print(f"{PROG} db: expected init, diff or sql, got {given}", file=sys.stderr)
            return errors.EXIT_USAGE
        if config.extra.apply and config.args[0] != "diff":
            print(f"{PROG} db: --apply goes with db diff only", file=sys.stderr)
            return errors.EXIT_USAGE
        if config.args[0] == "sql":
            boot.check_db_user(config)
            return open_shell(config)
        if config.args[0] == "diff":
            return self.diff(config.extra.apply)
        return self.init()

    def init(self):
        addons = boot.boot(config, tables=False)
        try:
            created = sql.init_database(config, addons)
        finally:
            sql.close_all()
        print(f"db init: {len(created)} tables created on {config.db_target()}"
              + (": " + ", ".join(created) if created else ""))
        return 0

    def diff(self, apply):
        addons = boot.boot(config, tables=False)
        try:
            plans = diff.plan_database(read_tables(addons))
            for plan in plans:
                print(f"-- table {plan.table.name} (addon {plan.addon.name})")
                if apply:
                    diff.apply_plan(plan, print)
                else:
                    for sql_text, params in plan.statements:
                        print(diff.render(sql_text, params) + ";")
                show_left(plan)
        except sql.SqlError as exc:
            raise errors.StartupError(f"db diff: {exc}") from exc
        finally:
            sql.close_all()
        count = sum(len(p.statements) for p in plans)
        blocked = sum(len(p.blocked) for p in plans)
        target = config.db_target()
        if apply:
            line = f"db diff --apply: {count} statements applied on {target}"
        elif count:
            line = f"db diff: {count} statements to run on {target} (db diff --apply runs them)"
        else:
            line = f"db diff: nothing to run on {target}"
        if blocked:
            line += f"; left to you (SQLite cannot make them): {blocked}, see the -- not done lines"
        print(line, file=sys.stderr)
        return errors.EXIT_ERROR if blocked else 0


def show_left(plan):
    """What db diff leaves alone in this table, and how to do by hand what SQLite cannot."""
    for note in plan.notes:
        print(f"-- note: {note}")
    for why in plan.blocked:
        print(f"-- not done: {why}")
    if plan.rebuild:
        print("-- to make it by hand: stop the servers, back up the database file, then run in db sql")
        print("-- (remove the leading '-- ' and check the copied columns first):")
        for step in plan.rebuild:
            for line in (step + ";").splitlines():
                print(f"--   {line}")
