"""The Flyton-layout test project (tests/app/flyproj) served by a real server.

``flyproj_server(request, tmp_path_factory, name)`` is the body of a module
fixture parametrized over ``sqlite`` and ``mysql``: a server with the test
addons and the project on its addons path, and the Flyton users ``fly`` and
``fly2`` (base64 ``sis``, as Flyton's init.sql keeps a password).
"""
import base64
import os
import shutil

from inphms import sql
from tests.support.apps import copy_addons
from tests.support.client import db_config
from tests.support.server import InphmsProcess

FLYPROJ = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app", "flyproj")
B64 = base64.b64encode(b"fly123").decode()        # as Flyton's init.sql keeps a password


def copy_tree(workdir):
    target = os.path.join(str(workdir), "flyproj")
    shutil.copytree(FLYPROJ, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run_sql(server, q, params=()):
    sql.close_all()
    sql.configure(db_config(server.config_path))
    with sql.cursor() as cr:
        cr.execute(q, params)
        rows = cr.fetchall() if q.lstrip().upper().startswith("SELECT") else None
    sql.close_all()
    return rows


def add_flyton_user(server, username):
    run_sql(server, "INSERT INTO users (username, FirstName, sis, is_active, Roles) "
            "VALUES (%s, 'fly', %s, 1, '[\"admin\"]')", (username, B64))


def start(work, **options):
    server = InphmsProcess(work, addons_path=f"{copy_addons(work)},{copy_tree(work)}", **options)
    server.start()
    return server


def flyproj_server(request, tmp_path_factory, name):
    """Yield the server of the engine ``request.param``; stop it and drop its database after."""
    work = tmp_path_factory.mktemp(f"{name}_{request.param}")
    db = {}
    if request.param == "mysql":
        mariadb = request.getfixturevalue("mariadb")
        db = mariadb.options(mariadb.create_database())
    server = start(work, **db)
    add_flyton_user(server, "fly")
    add_flyton_user(server, "fly2")
    yield server
    server.stop()
    if db:
        mariadb.drop_database(db["db_name"])
