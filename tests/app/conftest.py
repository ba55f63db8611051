"""A real server running the test addons of tests/app/addons (copied per module)."""
import pytest

from inphms import http
from inphms.config import configmanager
from inphms.modules import module
from tests.support.apps import copy_addons
from tests.support.server import InphmsProcess


def application_in_process(workdir):
    """An Application of this process serving the test addons (copied into ``workdir``)."""
    cfg = configmanager()
    cfg.parse_config(["--addons-path", copy_addons(workdir), "--data-dir", str(workdir)])
    app = http.Application()
    app.setup(module.load_addons(cfg))
    return app


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("app")
    server = InphmsProcess(work, addons_path=copy_addons(work))
    server.start()
    yield server
    server.stop()
