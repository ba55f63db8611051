"""The products addon's tests run from the repository root (`python -m pytest addons`).

They use the repository's test support (tests.support, tests.sessions) and
their own helpers (prodtest.py next to this file), so both folders go on
sys.path here.  This folder has no __init__.py on purpose: it would make
pytest import these files as a package named `tests`, the name of the
repository's own test package.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

for path in (ROOT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def products_mariadb():
    """A private MariaDB server for the mysql runs of these tests.

    Its folder is not the one of the repository's `mariadb` fixture: both
    name their server after the test process, and a whole-suite run starts both.
    """
    from inphms import sql
    from tests.support.mariadb import MariaDB
    server = MariaDB.for_session(os.path.join(ROOT, "tests", ".run", "mariadb-products"))
    if not server.available():
        pytest.fail("MariaDB is not installed: apt-get install -y mariadb-server mariadb-client")
    server.start()
    yield server
    sql.close_all()
    server.cleanup()
