"""Shared fixtures: a server process factory that always cleans up, and the
private MariaDB server (one per test session, started on first use)."""
from pathlib import Path

import pytest

from tests.support.mariadb import MariaDB
from tests.support.server import InphmsProcess

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mariadb():
    from inphms import sql
    server = MariaDB.for_session(ROOT / "tests" / ".run" / "mariadb")
    if not server.available():
        pytest.fail("MariaDB is not installed: apt-get install -y mariadb-server mariadb-client")
    server.start()
    yield server
    sql.close_all()
    server.cleanup()


@pytest.fixture
def server_factory(tmp_path):
    started = []

    def make(*args, start=True, env=None, **options):
        server = InphmsProcess(tmp_path, args=args, env=env, **options)
        started.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in started:
        server.stop()
