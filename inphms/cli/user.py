"""The `user` command: manage users from the shell.

    python inphms-bin user add NAME [--roles admin,owner] [--first F] [--last L]
    python inphms-bin user passwd NAME
    python inphms-bin user list
    python inphms-bin user off NAME
    python inphms-bin user mfa NAME

A password is read from the terminal (asked twice) or, when stdin is not a
terminal, from its first line; never from the command line, where it would
stay in the shell's history and in the process list.
"""
import getpass
import optparse
import sys

from inphms import boot, errors, sql
from inphms.auth import users
from inphms.auth.roles import parse_roles
from inphms.config import config

from .command import PROG, Command

NEEDS_NAME = ("add", "passwd", "off", "mfa")
OPTIONS = [
    optparse.make_option("--roles", default="", help="roles of a new user, comma separated"),
    optparse.make_option("--first", default="", help="first name of a new user"),
    optparse.make_option("--last", default="", help="last name of a new user"),
]


def read_password():
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise errors.StartupError("the two passwords differ")
    if not password:
        raise errors.StartupError("an empty password is refused")
    return password


class User(Command):
    """Users of the configured database."""
    name = "user"
    help = "users: add NAME [--roles a,b], passwd NAME, list, off NAME, mfa NAME"

    usage = "%prog user add|passwd|list|off|mfa [NAME] [options]"
    options = OPTIONS
    positional = True

    def run(self, args):
        action, names = (config.args or [""])[0], config.args[1:]
        wanted = 1 if action in NEEDS_NAME else 0
        if action not in NEEDS_NAME + ("list",) or len(names) != wanted:
            print(f"{PROG} user: expected add|passwd|off|mfa NAME or list", file=sys.stderr)
            return errors.EXIT_USAGE
        boot.boot(config, log_level="warning")
        try:
            return getattr(self, "do_" + action)(*names)
        finally:
            sql.close_all()

    def do_add(self, name):
        roles = [r.strip() for r in config.extra.roles.split(",") if r.strip()]
        t = users.add(name, read_password(), roles, config.extra.first, config.extra.last)
        return report(t, f"user {name} added (id {t.get('id')}, roles {','.join(roles) or '-'})")

    def do_passwd(self, name):
        return report(users.set_password(name, read_password()), f"password of {name} changed")

    def do_off(self, name):
        return report(users.switch_off(name), f"user {name} is off (is_active 0), its sessions ended")

    def do_mfa(self, name):
        uri = users.enrol_mfa(name)
        if not uri:
            raise errors.StartupError(f"no user {name}")
        print("Add this to the user's authenticator app (or show it as a QR code):")
        print(uri)
        return 0

    def do_list(self):
        print(f"{'id':>6}  {'username':<20} {'active':<6} {'roles':<20} name")
        for w in users.every_user():
            name = f"{w['FirstName'] or ''} {w['LastName'] or ''}".strip()
            print(f"{w['id']:>6}  {w['username']:<20} {w['is_active']:<6} "
                  f"{','.join(parse_roles(w['Roles'])):<20} {name}")
        return 0


def report(t, text):
    if not t.get("status"):
        raise errors.StartupError(t.get("err", "failed"))
    print(text)
    return 0
