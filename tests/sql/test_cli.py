"""`inphms-bin db init` and `inphms-bin db sql`, run as an operator runs them."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inphms.sql.shell import mysql_command

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / "inphms-bin")
ADDONS = Path(__file__).resolve().parent / "addons"


def write_conf(tmp_path, target, **more):
    options = {**target.options, **more}
    options["addons_path"] = ",".join(options["addons_path"]) if isinstance(options["addons_path"], list) \
        else options["addons_path"]
    lines = ["[options]"] + [f"{k} = {v}" for k, v in options.items()]
    path = tmp_path / "inphms.conf"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(args, env=None, stdin=""):
    return subprocess.run([sys.executable, BIN] + args, input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_db_init_creates_the_tables_then_nothing(blank, tmp_path):
    conf = write_conf(tmp_path, blank)
    done = run(["db", "init", "-c", conf])
    assert done.returncode == 0, done.stderr
    assert "db init: 9 tables created on" in done.stdout
    assert blank.tables() == {"users", "ses", "gen", "logs", "cron", "ses_arc", "logs_arc", "cat", "prod"}
    again = run(["db", "init", "-c", conf])
    assert again.returncode == 0 and "db init: 0 tables created" in again.stdout
    if blank.password:
        assert blank.password not in done.stdout + done.stderr + again.stdout + again.stderr


def test_db_init_refuses_a_bad_tables_sql_with_one_line(blank, tmp_path):
    addon = tmp_path / "more" / "bad"
    addon.mkdir(parents=True)
    (addon / "__manifest__.py").write_text("{'name': 'bad', 'depends': ['base']}\n")
    (addon / "tables.sql").write_text("CREATE TABLE t (\n  id int,\n  x set('a')\n);\n")
    conf = write_conf(tmp_path, blank, addons_path=f"{ADDONS},{tmp_path / 'more'}")
    done = run(["db", "init", "-c", conf])
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("inphms-bin: database init: ") and f"{addon / 'tables.sql'}:3:" in lines[-1]
    assert "Traceback" not in done.stderr
    assert blank.tables() == set()


def test_db_without_a_known_subcommand_is_a_usage_error(tmp_path):
    for args in (["db"], ["db", "drop"], ["db", "init", "extra"]):
        done = run(args)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and "expected init, diff or sql" in done.stderr


def test_db_refuses_the_mysql_root_user(tmp_path):
    done = run(["db", "init", "--db-engine", "mysql", "--db-user", "root", "--data-dir", str(tmp_path)])
    assert done.returncode == 1 and "db_user = root is refused" in done.stderr


def test_db_sql_opens_the_sqlite3_shell(sqlite_db, tmp_path):
    assert shutil.which("sqlite3"), "the sqlite3 program is needed: apt-get install -y sqlite3"
    conf = write_conf(tmp_path, sqlite_db)
    done = run(["db", "sql", "-c", conf], stdin="SELECT name, seq FROM sqlite_sequence WHERE name = 'users';\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "users|9999"


def test_db_sql_without_the_sqlite3_binary_uses_a_python_shell(sqlite_db, tmp_path):
    conf = write_conf(tmp_path, sqlite_db)
    env = dict(os.environ, PATH=str(tmp_path / "empty-bin"))
    done = run(["db", "sql", "-c", conf], env=env,
               stdin=".tables\nSELECT COUNT(*),\n  'x' FROM users;\nSELECT nope;\n.quit\nSELECT 1;\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[:9] == ["cat", "cron", "gen", "logs", "logs_arc", "prod", "ses", "ses_arc", "users"]
    assert out[9:] == ["0|x", "Error: no such column: nope"]


def wait_for_exec(pid, names):
    """The command line of ``pid`` once it has become one of ``names``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        if os.path.basename(argv[0].decode()) in names:
            return [a.decode() for a in argv if a]
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never ran {names}")


def test_db_sql_opens_the_mysql_client_with_the_password_in_the_environment(mysql_db, tmp_path):
    conf = write_conf(tmp_path, mysql_db)
    proc = subprocess.Popen([sys.executable, BIN, "db", "sql", "-c", conf], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        argv = wait_for_exec(proc.pid, {"mysql", "mariadb"})
        with open(f"/proc/{proc.pid}/environ", "rb") as handle:
            environ = handle.read().split(b"\0")
        out, err = proc.communicate("SELECT CURRENT_USER(), DATABASE();\n", timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert mysql_db.password not in " ".join(argv)
    assert f"MYSQL_PWD={mysql_db.password}".encode() in environ
    assert f"inphms@127.0.0.1\t{mysql_db.options['db_name']}" in out


def test_mysql_command_over_a_unix_socket():
    values = {"db_engine": "mysql", "db_host": "/run/mysqld/mysqld.sock", "db_port": 3306, "db_user": "shop",
              "db_password": "s3cret pw", "db_name": "shop", "db_maxconn": 4, "data_dir": "/tmp"}
    try:
        argv, env = mysql_command(values)
    except Exception as exc:
        pytest.fail(f"the mysql client is needed: {exc}")
    assert argv[1:] == ["--user=shop", "--default-character-set=utf8mb4",
                        "--socket=/run/mysqld/mysqld.sock", "shop"]
    assert env["MYSQL_PWD"] == "s3cret pw" and "s3cret" not in " ".join(argv)
