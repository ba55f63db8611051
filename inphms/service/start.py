"""start(): the server command's life after boot, and the one place the process model is chosen.

``make_server`` picks the prefork master (``workers``), the evented server
(``evented``) or the threaded one; ``start`` boots (``inphms.boot``),
creates the first admin on an empty users table, turns metrics on, runs
the chosen server and, when it stopped for a reload, re-executes the
process (``inphms.service.process.reexec``).
"""
from inphms import boot, http, metrics
from inphms.auth import users
from inphms.config import config

from .gevent_server import GeventServer
from .prefork import PreforkServer, cron_worker_main
from .process import reexec
from .server import ThreadedServer


def create_first_admin():
    """On an empty users table: user admin, its password printed once to the console."""
    password = users.first_admin()
    if password:
        print(f"First start: user 'admin' created with password {password}\n"
              "It is shown only this once; change it with: python inphms-bin user passwd admin",
              flush=True)


def dev_reload_folders(addons):
    if not {"reload", "all"} & set(config["dev_mode"]):
        return []
    return [addon.path for addon in addons]


def make_server(addons):
    """The server of the configured mode: prefork, evented or threaded."""
    if config["workers"]:
        return PreforkServer(http.root, cron_main=lambda master: cron_worker_main(addons, master))
    if config["evented"]:
        return GeventServer(http.root, watch=dev_reload_folders(addons))
    return ThreadedServer(http.root, watch=dev_reload_folders(addons))


def start(stop=False):
    """Boot, serve; returns the exit code."""
    addons = boot.load(config, app=True, first=create_first_admin)
    metrics.setup(config, multiprocess=bool(config["workers"]))
    server = make_server(addons)
    server.addons = addons
    rc = server.run(stop)
    if server.phoenix:
        reexec(server.handoff_fd)
    return rc
