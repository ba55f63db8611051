"""A real server on a fresh SQLite database, with its first admin's password."""
import pytest

from tests.support.site import start_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = start_site(tmp_path_factory.mktemp("site"))
    yield s
    s.server.stop()
