"""docs/troubleshooting.md: each error it quotes is provoked for real, and must read as quoted.

Every section of the page holds one ``text`` block, the message.  Each case
below makes the mistake its section describes, in a folder of its own, and
compares the last line of standard error (and the exit status) with the
page.  The folder, the ports and the database name of a run stand for the
page's /srv/myproject, 8069, 3306 and shop.
"""
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / "inphms-bin")
PAGE = ROOT / "docs" / "troubleshooting.md"


def quoted_messages():
    """{section number: the message of its text block}."""
    found, section = {}, None
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        head = re.match(r"^## (\d+)\. ", line)
        if head:
            section = int(head.group(1))
        if line == "```text" and section is not None:
            assert section not in found, f"section {section} quotes two messages"
            found[section] = lines[i + 1]
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Case:
    """A folder to make a mistake in, and what stands for the page's names there."""

    def __init__(self, folder):
        self.folder = folder
        self.names = {str(folder): "/srv/myproject"}
        self.env = None

    def conf(self, **options):
        options = {"data_dir": "data", "addons_path": "", "http_interface": "127.0.0.1", **options}
        (self.folder / "inphms.conf").write_text(
            "[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))

    def addon(self, name, depends=("base",), tables=None):
        folder = self.folder / "addons" / name
        folder.mkdir(parents=True)
        (folder / "__manifest__.py").write_text(f"{{'name': {name!r}, 'depends': {list(depends)!r}}}\n")
        if tables:
            (folder / "tables.sql").write_text(tables)

    def run(self, *args):
        done = subprocess.run([sys.executable, BIN, *args], cwd=self.folder, capture_output=True,
                              text=True, timeout=60, env=self.env)
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        for real, shown in self.names.items():
            last = last.replace(real, shown)
        return done.returncode, last


def unknown_command(case, mariadb):
    return case.run("serve")


def missing_config_file(case, mariadb):
    return case.run("-c", "myshop.conf")


def unknown_option(case, mariadb):
    (case.folder / "inphms.conf").write_text("[options]\nhttp_prot = 8069\n")
    return case.run()


def port_in_use(case, mariadb):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        case.names[str(port)] = "8069"
        case.conf(http_port=port)
        return case.run()


def root_db_user(case, mariadb):
    case.conf(db_engine="mysql", db_user="root")
    return case.run()


def database_not_answering(case, mariadb):
    port = free_port()
    case.names[f":{port}/"] = ":3306/"
    case.conf(db_engine="mysql", db_host="127.0.0.1", db_port=port, db_user="inphms", db_name="shop",
              http_port=free_port())
    return case.run()


def access_denied(case, mariadb):
    case.names[f":{mariadb.port}/"] = ":3306/"
    case.conf(db_engine="mysql", db_host="127.0.0.1", db_port=mariadb.port, db_user="inphms",
              db_password="not-the-password", db_name="shop", http_port=free_port())
    return case.run()


def refused_tables_sql(case, mariadb):
    case.addon("shop", tables="CREATE TABLE shop (\n  id int NOT NULL AUTO_INCREMENT,\n"
                              "  size set('s', 'm'),\n  PRIMARY KEY (id)\n);\n")
    case.conf(addons_path="addons", http_port=free_port())
    return case.run()


def missing_dependency(case, mariadb):
    case.addon("shop", depends=("base", "stock"))
    case.conf(addons_path="addons", http_port=free_port())
    return case.run()


def evented_without_gevent(case, mariadb):
    shadow = case.folder / "no_gevent"
    shadow.mkdir()
    # what Python says when gevent is not installed
    (shadow / "gevent.py").write_text("raise ModuleNotFoundError(\"No module named 'gevent'\")\n")
    case.env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(shadow)}
    case.conf(http_port=free_port())
    return case.run("--evented")


# section number: (how to provoke it, the exit status)
CASES = {
    1: (unknown_command, 2),
    2: (missing_config_file, 2),
    3: (unknown_option, 2),
    4: (port_in_use, 1),
    5: (root_db_user, 1),
    6: (database_not_answering, 1),
    7: (access_denied, 1),
    8: (refused_tables_sql, 1),
    9: (missing_dependency, 1),
    10: (evented_without_gevent, 1),
}


def test_the_page_quotes_ten_errors_each_with_a_case():
    assert sorted(quoted_messages()) == sorted(CASES) == list(range(1, 11))


@pytest.mark.parametrize("section", sorted(CASES))
def test_the_message_is_the_one_printed(section, tmp_path, request):
    provoke, status = CASES[section]
    mariadb = request.getfixturevalue("mariadb") if provoke is access_denied else None
    case = Case(tmp_path)
    rc, line = provoke(case, mariadb)
    assert line == quoted_messages()[section]
    assert rc == status
