"""A real server on a fresh SQLite database, with the password its first start
gave the admin: what the session, login and bad-input tests log in to."""
import os
import re

from tests.support.server import InphmsProcess


class Site:
    """A running server and what the tests need to reach its database."""

    def __init__(self, server, admin_password):
        self.server = server
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
    return Site(server, match.group(1) if match else "")
