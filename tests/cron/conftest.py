"""Fixtures of the cron tests: a fresh database of each engine, real servers.

Test addons (tests/cron/addons/<set>/<addon>, one set per addons_path entry):
book/cronbook (job tick, tables cron_book and prod_log, archived through its
manifest), slow/cronslow (jobs slow and boom), hold/cronhold (job hold),
over/cronover (overrides ses_expire, broken job files).

- ``crondb``: inphms.config.config pointed at a new database (a SQLite file,
  or a new database on the private MariaDB) with the tables of base and
  cronbook; parametrized over both engines.  ``mysql_crondb``/``sqlite_crondb``:
  one engine only.
- ``servers(target)``: starts real ``inphms-bin`` processes on the target's
  database, each in its own folder; all are stopped at the end.
"""
import subprocess
import sys
from pathlib import Path

import pytest

import inphms  # noqa: F401  (installs the `tools` alias)
from inphms import sql
from inphms.config import config
from inphms.modules.module import load_addons
from tests.support import db as support_db
from tests.support.server import BIN, InphmsProcess, write_config

ADDONS = Path(__file__).resolve().parent / "addons"
ENGINES = ["sqlite", "mysql"]


def addons_path(*sets):
    """addons_path folders of the test addon sets ``sets`` (e.g. 'book', 'slow')."""
    return [str(ADDONS / s) for s in sets]


class Target(support_db.Target):
    """A database the tests run on; its clock as the cron tables see it."""

    def now(self):
        """The database's clock, as the cron tables see it."""
        from inphms.service.cron_table import as_time
        return as_time(self.value("SELECT CURRENT_TIMESTAMP"))


def use_addons(*sets):
    """Load base, web and the addons of ``sets`` into this process; returns them."""
    config["addons_path"] = addons_path(*sets)
    return load_addons(config)


def open_target(request, tmp_path, engine):
    for target in support_db.open_target(request, tmp_path, engine, "crontest", make=Target):
        sql.init_database(config, use_addons("book"))
        yield target


@pytest.fixture(params=ENGINES)
def crondb(request, tmp_path):
    yield from open_target(request, tmp_path, request.param)


@pytest.fixture
def mysql_crondb(request, tmp_path):
    yield from open_target(request, tmp_path, "mysql")


@pytest.fixture
def sqlite_crondb(request, tmp_path):
    yield from open_target(request, tmp_path, "sqlite")


class Servers:
    """Real server processes (and CLI runs) on one database, each in its own folder."""

    def __init__(self, tmp_path, target, sets):
        self.tmp_path = tmp_path
        self.target = target
        self.sets = sets
        self.started = []
        self.runs = 0

    def options(self, **more):
        opts = {k: v for k, v in self.target.options.items() if k != "addons_path"}
        opts["addons_path"] = ",".join(addons_path(*self.sets))
        opts.update(more)
        return opts

    def make(self, start=True, **more):
        folder = self.tmp_path / f"server{len(self.started)}"
        folder.mkdir()
        server = InphmsProcess(folder, **self.options(**more))
        self.started.append(server)
        if start:
            server.start()
        return server

    def cli(self, *args, timeout=120, **more):
        """``inphms-bin ARGS`` on the same database: (exit code, stdout, stderr)."""
        self.runs += 1
        folder = self.tmp_path / f"cli{self.runs}"
        folder.mkdir()
        path = write_config(str(folder / "inphms.conf"), **self.options(**more))
        done = subprocess.run([sys.executable, BIN] + list(args) + ["-c", path], cwd=str(folder),
                              capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def stop_all(self):
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(tmp_path):
    made = []

    def make(target, *sets):
        group = Servers(tmp_path, target, sets)
        made.append(group)
        return group

    yield make
    for group in made:
        group.stop_all()
