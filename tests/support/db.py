"""Look at a server's database from a test, through the same sql layer."""
from inphms import sql
from tests.support.client import db_config


def query(config_path, text, params=()):
    """Rows of one statement (%s placeholders) on the server's database."""
    sql.configure(db_config(config_path))
    with sql.cursor() as cr:
        cr.execute(text, params)
        if cr.description is None:
            return cr.rowcount
        return cr.fetchall()
