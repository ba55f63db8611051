"""Fixtures of the database tests (tests/support/sql_fixtures.py): ``blank``
and ``db`` on SQLite and on MariaDB, ``mysql_db``, ``sqlite_db``."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.sql_fixtures import blank, db, mysql_db, sqlite_db  # noqa: E402,F401  (fixtures)
