"""The test addons of tests/app/addons (appone, ...), copied where a test's server can load them."""
import os
import shutil

ADDONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app", "addons")


def copy_addons(workdir):
    """Copy the test addons into ``workdir``/addons; returns that folder."""
    target = os.path.join(str(workdir), "addons")
    shutil.copytree(ADDONS, target, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return target
