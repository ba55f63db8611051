"""``--dev reload``: reload the server when an addon's code changes.

A thread looks at the modification times of the addons' code files
(``.py``, ``.json``, ``.sql``) once a second; when one changes, appears or
goes away it asks the server for a reload, the same phoenix as SIGHUP.
Static files need no reload: they are read from disk on every request.
"""
import logging
import os
import threading

_logger = logging.getLogger(__name__)

WATCHED = (".py", ".json", ".sql")
INTERVAL = 1.0


def snapshot(folders):
    """{path: mtime} of the watched files under ``folders``."""
    seen = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
            for name in filenames:
                if name.endswith(WATCHED):
                    path = os.path.join(dirpath, name)
                    try:
                        seen[path] = os.stat(path).st_mtime_ns
                    except FileNotFoundError:
                        pass
    return seen


class Reloader:
    def __init__(self, folders, on_change):
        self.folders = list(folders)
        self.on_change = on_change
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="inphms.service.reloader", daemon=True)

    def start(self):
        self.before = snapshot(self.folders)
        self.thread.start()
        _logger.info("dev reload: watching %d files", len(self.before))

    def run(self):
        while not self.stopping.wait(INTERVAL):
            now = snapshot(self.folders)
            changed = sorted(set(now.items()) ^ set(self.before.items()))
            if changed:
                _logger.info("dev reload: %s changed: reloading", changed[0][0])
                self.on_change()
                return

    def stop(self):
        self.stopping.set()
