"""Shared fixtures: a server process factory that always cleans up."""
import pytest

from tests.support.server import InphmsProcess


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
