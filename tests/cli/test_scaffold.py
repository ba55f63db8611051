"""`python inphms-bin scaffold NAME [DIR]` writes an addon that passes its own test."""
import os
import subprocess
import sys

import pytest

from tests.support.server import BIN


def scaffold(*args, cwd):
    return subprocess.run([sys.executable, BIN, "scaffold", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_scaffolded_addon_loads_and_passes_its_test(tmp_path):
    r = scaffold("notes", str(tmp_path / "myaddons"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "myaddons" / "notes"
    for path in ("__manifest__.py", "tables.sql", "client/admin/notes.py", "client/lib/notes.js",
                 "server/apis/api/api_notes_save.py", "server/apis/tools/cron/notes_tick.py",
                 "tests/test_notes.py"):
        assert (folder / path).is_file(), path
    assert "-- DROP TABLE notes;" in (folder / "tables.sql").read_text()
    # its own test, unedited, against the real server
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(folder / "tests")], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_default_dir_is_addons(tmp_path):
    assert scaffold("stock", cwd=tmp_path).returncode == 0
    assert (tmp_path / "addons" / "stock" / "__manifest__.py").is_file()


@pytest.mark.parametrize("name", ["Notes", "1notes", "no-tes", "../x", "a" * 40, "--x"])
def test_bad_names_exit_2(tmp_path, name):
    r = scaffold(name, cwd=tmp_path)
    assert r.returncode == 2
    assert not os.listdir(tmp_path)


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "addons" / "notes").mkdir(parents=True)
    r = scaffold("notes", cwd=tmp_path)
    assert r.returncode == 1 and "exists already" in r.stderr
