"""A real server running the test addons of tests/app/addons (copied per module)."""
import os
import shutil

import pytest

from tests.support.server import InphmsProcess

ADDONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addons")


def copy_addons(workdir):
    target = os.path.join(str(workdir), "addons")
    shutil.copytree(ADDONS, target, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("app")
    server = InphmsProcess(work, addons_path=copy_addons(work))
    server.start()
    yield server
    server.stop()
