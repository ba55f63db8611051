"""A real server on a fresh database, with its first admin's password.

``site`` runs each test on SQLite and on MariaDB (a new database of the
private server of tests/conftest.py).
"""
import pytest

from tests.support.site import site_on


@pytest.fixture(scope="module", params=["sqlite", "mysql"])
def site(request, tmp_path_factory):
    yield from site_on(request, tmp_path_factory.mktemp("site"))
