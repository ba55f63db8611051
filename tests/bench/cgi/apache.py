"""Flyton as CGI: a private Apache (Debian's apache2, mpm_event + mod_cgid) serving p.py.

    site = CgiSite(base_dir, db_env)     # base_dir/cgi-bin/p + reference_app.py
    cmd, label = site.apache_command(port) or site.runner_command(port)

``apache_command`` writes a config of its own (no /etc/apache2 file is read
or changed): Listen on 127.0.0.1 only, ``ScriptAlias /cgi-bin/`` to the
folder holding ``p`` (so the URL is the same as inphms's ``/cgi-bin/p``),
Debian's default event MPM sizes and keep-alive, the database passed
with ``SetEnv``, and a log of when each request ended and how long it took
(``timing_log``: "END_US DURATION_US" per line, which run.py reads).
Started as root, Apache runs its children as ``www-data``, so the script's
interpreter must be one that user can run with PyMySQL (Debian's
``/usr/bin/python3`` with ``python3-pymysql``).
When apache2 is missing, ``runner_command`` gives the standard-library CGI
runner of runner.py instead (one process per request all the same).
"""
import os
import pwd
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
MODULES = ("/usr/lib/apache2/modules", "/usr/lib64/httpd/modules", "/usr/libexec/apache2")
NEEDED = ("mpm_event", "cgid", "alias", "authz_core", "env")
APACHE_USER = "www-data"


def find_apache():
    for name in ("apache2", "httpd"):
        for folder in (None, "/usr/sbin", "/usr/local/sbin"):
            path = shutil.which(name, path=folder) if folder else shutil.which(name)
            if path:
                return path
    return None


def find_modules():
    for folder in MODULES:
        if all(os.path.exists(os.path.join(folder, f"mod_{m}.so")) for m in NEEDED):
            return folder
    return None


def as_user(name):
    """preexec_fn that becomes user ``name`` (only when we are root)."""
    if os.geteuid() != 0:
        return None
    w = pwd.getpwnam(name)

    def drop():
        os.setgroups([])
        os.setgid(w.pw_gid)
        os.setuid(w.pw_uid)
    return drop


def python_for(user):
    """An interpreter ``user`` can run that imports pymysql, or None."""
    for python in ("/usr/bin/python3", sys.executable):
        try:
            done = subprocess.run([python, "-c", "import pymysql"], preexec_fn=as_user(user),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=30, cwd="/")
        except (OSError, subprocess.SubprocessError, KeyError):
            continue
        if done.returncode == 0:
            return python
    return None


def apache_parts():
    """((apache, modules, user, python), "") when Apache can run the script here, else (None, why).

    ``user`` is the user of Apache's children, ``python`` an interpreter
    that user can run with PyMySQL.
    """
    apache, modules = find_apache(), find_modules()
    if not apache or not modules:
        return None, "apache2 (with mod_cgid) is not installed"
    user = APACHE_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam(user)
    except KeyError:
        return None, f"no user {user} for Apache's children"
    python = python_for(user)
    if python is None:
        return None, (f"no Python with PyMySQL that user {user} can run "
                      "(Debian: apt-get install python3-pymysql)")
    return (apache, modules, user, python), ""


class CgiSite:
    def __init__(self, base, db_env, top=None):
        self.base = os.path.abspath(base)
        self.top = os.path.abspath(top or base)      # folders opened to the CGI user stop here
        self.cgi_bin = os.path.join(self.base, "cgi-bin")
        self.db_env = dict(db_env)
        self.why_not_apache = ""
        self.timing_log = os.path.join(self.base, "timing.log")

    def install(self, python):
        """cgi-bin/p (p.py with ``python`` as interpreter) and reference_app.py, world-readable."""
        os.makedirs(self.cgi_bin, exist_ok=True)
        with open(os.path.join(HERE, "p.py")) as handle:
            code = handle.read().split("\n", 1)[1]
        script = os.path.join(self.cgi_bin, "p")
        with open(script, "w") as handle:
            handle.write(f"#!{python}\n{code}")
        shutil.copy(os.path.join(BENCH, "reference_app.py"), self.cgi_bin)
        os.chmod(script, 0o755)
        os.chmod(os.path.join(self.cgi_bin, "reference_app.py"), 0o644)
        # the bench's own folders down to cgi-bin must be passable for the CGI user
        folder = self.cgi_bin
        while folder.startswith(self.top):
            mode = os.stat(folder).st_mode
            if not mode & 0o001:
                os.chmod(folder, mode | 0o111)
            folder = os.path.dirname(folder)
        return script

    def apache_command(self, port):
        """(command, label) to run Apache in the foreground, or None (reason in why_not_apache)."""
        parts, self.why_not_apache = apache_parts()
        if parts is None:
            return None
        apache, modules, user, python = parts
        script = self.install(python)
        try:
            subprocess.run([python, "-c", f"open({script!r}).close()"], preexec_fn=as_user(user),
                           check=True, stderr=subprocess.DEVNULL, timeout=30, cwd="/")
        except (OSError, subprocess.SubprocessError):
            self.why_not_apache = f"user {user} cannot read {script} (a parent folder is closed)"
            return None
        conf = os.path.join(self.base, "apache.conf")
        with open(conf, "w") as handle:
            handle.write(self.apache_config(port, modules, user))
        label = f"apache2 mpm_event+mod_cgid, {os.path.basename(python)}"
        return [apache, "-f", conf, "-DFOREGROUND"], label

    def apache_config(self, port, modules, user):
        loads = "".join(f"LoadModule {m}_module {modules}/mod_{m}.so\n" for m in NEEDED)
        if os.path.exists(os.path.join(modules, "mod_log_config.so")):
            # built into Debian's apache2, a module elsewhere
            loads += ("<IfModule !log_config_module>\n"
                      f"LoadModule log_config_module {modules}/mod_log_config.so\n</IfModule>\n")
        env = "".join(f'SetEnv {k} "{v}"\n' for k, v in self.db_env.items())
        run_as = f"User {user}\nGroup {user}\n" if os.geteuid() == 0 else ""
        return f"""# private Apache of the inphms benchmark (tests/bench/cgi/apache.py)
ServerRoot "{self.base}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{self.base}/apache.pid"
ErrorLog "{self.base}/apache-error.log"
LogLevel warn
{loads}LogFormat "%{{end:usec}}t %D" timing
CustomLog "{self.timing_log}" timing
{run_as}ScriptSock "{self.base}/cgid.sock"
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
ScriptAlias /cgi-bin/ "{self.cgi_bin}/"
<Directory "{self.cgi_bin}">
    Options +ExecCGI
    Require all granted
</Directory>
{env}"""

    def runner_command(self, port):
        """(command, label) of the standard-library CGI runner (runner.py)."""
        self.install(sys.executable)
        cmd = [sys.executable, os.path.join(HERE, "runner.py"), "--port", str(port),
               "--cgi-bin", self.cgi_bin, "--timing-log", self.timing_log]
        return cmd, "stdlib CGI runner (no Apache: " + (self.why_not_apache or "not asked") + ")"

    def env(self):
        """Environment for the runner: the database settings its scripts read."""
        return dict(os.environ, **self.db_env)
