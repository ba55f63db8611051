"""``db sql``: open the engine's own SQL shell on the configured database.

MySQL/MariaDB: the ``mysql`` (or ``mariadb``) client, the password handed
over in the ``MYSQL_PWD`` environment variable, never on the command line
where ``ps`` would show it.  SQLite: the ``sqlite3`` command-line shell, or,
when it is not installed, a small shell over Python's sqlite3 module.
The client replaces this process (``os.execvpe``).
"""
import os
import shutil
import sqlite3
import sys

from inphms import errors

from .engine import settings
from .engine_sqlite import SqliteEngine


def mysql_command(values):
    """(argv, env) that open the mysql client on the configured database."""
    client = shutil.which("mysql") or shutil.which("mariadb")
    if client is None:
        raise errors.StartupError("no mysql client found: install mariadb-client (or mysql-client)")
    argv = [client, f"--user={values['db_user']}", "--default-character-set=utf8mb4"]
    if values["db_host"].startswith("/"):
        argv.append(f"--socket={values['db_host']}")
    else:
        argv += [f"--host={values['db_host']}", f"--port={values['db_port']}", "--protocol=tcp"]
    argv.append(values["db_name"])
    env = dict(os.environ)
    env.pop("MYSQL_PWD", None)
    if values["db_password"]:
        env["MYSQL_PWD"] = values["db_password"]
    return argv, env


def sqlite_command(values):
    """(argv, env) for the sqlite3 shell, or None when it is not installed."""
    client = shutil.which("sqlite3")
    if client is None:
        return None
    return [client, SqliteEngine(values).path], dict(os.environ)


def open_shell(config):
    values = settings(config)
    if values["db_engine"] == "mysql":
        argv, env = mysql_command(values)
    else:
        os.makedirs(values["data_dir"], exist_ok=True)
        command = sqlite_command(values)
        if command is None:
            return repl(SqliteEngine(values).path)
        argv, env = command
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


def repl(path, stdin=None, stdout=None):
    """A tiny sqlite3 shell: statements end with ';', .tables, .schema, .quit."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    conn = sqlite3.connect(path, isolation_level=None)
    tty = stdin.isatty()
    if tty:
        stdout.write(f"inphms sqlite shell on {path} (.help for help)\n")
    buf = ""
    while True:
        if tty:
            stdout.write("sqlite> " if not buf else "   ...> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        if not buf and line.strip().startswith("."):
            if not dot_command(conn, line.split(), stdout):
                break
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            run_statement(conn, buf, stdout)
            buf = ""
    conn.close()
    return 0


def dot_command(conn, words, stdout):
    """False when the shell should end."""
    if words[0] in (".quit", ".exit"):
        return False
    if words[0] == ".tables":
        run_statement(conn, "SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite_%' ORDER BY name", stdout)
    elif words[0] == ".schema":
        where = " AND tbl_name = ?" if len(words) > 1 else ""
        for (text,) in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL" + where,
                                    tuple(words[1:2])):
            stdout.write(text + ";\n")
    else:
        stdout.write(".tables  .schema [TABLE]  .quit   (the sqlite3 program is not installed)\n")
    return True


def run_statement(conn, text, stdout):
    try:
        for row in conn.execute(text):
            stdout.write("|".join("" if v is None else str(v) for v in row) + "\n")
    except sqlite3.Error as exc:
        stdout.write(f"Error: {exc}\n")
