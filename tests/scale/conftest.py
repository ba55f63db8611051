"""Fixtures of the scale tests.

- ``addons``: a copy of tests/scale/addons (slowapp, galeraapp) in tmp_path;
  its path, for ``addons_path``.
"""
import os
import shutil

import pytest

SCALE_ADDONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addons")


@pytest.fixture
def addons(tmp_path):
    target = tmp_path / "addons"
    shutil.copytree(SCALE_ADDONS, target)
    return str(target)
