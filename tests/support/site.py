"""A real server on a fresh database, with the password its first start gave
the admin: what the session, login and bad-input tests log in to (SQLite
unless ``db_engine`` says otherwise)."""
import os
import re

from tests.support.server import InphmsProcess


class Site:
    """A running server and what the tests need to reach its database."""

    def __init__(self, server, admin_password, engine="sqlite"):
        self.server = server
        self.engine = engine
        self.port = server.port
        self.config_path = server.config_path
        self.admin_password = admin_password


def start_site(workdir, **options):
    os.makedirs(workdir, exist_ok=True)
    server = InphmsProcess(workdir, **options)
    server.start()
    # the first start prints the admin's password before it starts serving
    os.set_blocking(server.proc.stdout.fileno(), False)
    printed = (server.proc.stdout.read() or b"").decode()
    match = re.search(r"user 'admin' created with password (\S+)", printed)
    return Site(server, match.group(1) if match else "", options.get("db_engine", "sqlite"))


def site_on(request, workdir, **options):
    """start_site() on the engine of ``request.param``; stopped (and its database dropped) after."""
    mariadb = None
    if request.param == "mysql":
        mariadb = request.getfixturevalue("mariadb")
        options.update(mariadb.options(mariadb.create_database()))
    s = start_site(workdir, **options)
    yield s
    s.server.stop()
    if mariadb is not None:
        mariadb.drop_database(options["db_name"])

