"""The configuration manager: one option table, three layers, one object.

Every option is declared once in ``OPTIONS`` (name, type, default, help).
From that table we build the optparse parser, the ``--help`` text, the
``inphms.conf`` reader and writer and the docs check.  Values are layered:
built-in defaults, then the ``[options]`` section of the config file, then the
command line, each overriding the one before.

``config`` is the process-wide instance (as Odoo's ``odoo.tools.config``);
``config.parse_config(args)`` fills it.
"""
import configparser
import ipaddress
import optparse
import os

from . import errors

DEFAULT_CONFIG_NAME = "inphms.conf"
RC_ENV = "INPHMS_RC"


class Option:
    """One setting: its name in inphms.conf, its flag, its type and help."""

    def __init__(self, name, kind, default, help, group="Common", flags=(), metavar=None):
        self.name = name
        self.kind = kind          # str, int, bool, list, path, paths, choice:<a|b>
        self.default = default
        self.help = help
        self.group = group
        self.flags = ("--" + name.replace("_", "-"),) + tuple(flags)
        self.metavar = metavar or name.upper()

    def parse(self, raw):
        """Turn a string (from the file or the command line) into a value."""
        if self.kind == "int":
            try:
                return int(str(raw).strip())
            except ValueError:
                raise errors.ConfigError(f"option {self.name}: {raw!r} is not an integer") from None
        if self.kind == "bool":
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise errors.ConfigError(f"option {self.name}: {raw!r} is not a boolean (use 1 or 0)")
        if self.kind in ("list", "paths"):
            return [part.strip() for part in str(raw).split(",") if part.strip()]
        if self.kind.startswith("choice:"):
            choices = self.kind.split(":", 1)[1].split("|")
            value = str(raw).strip()
            if value not in choices:
                raise errors.ConfigError(
                    f"option {self.name}: {value!r} is not one of {', '.join(choices)}")
            return value
        return str(raw).strip()

    def format(self, value):
        """Turn a value back into its inphms.conf spelling."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind in ("list", "paths"):
            return ",".join(value)
        if value is None:
            return ""
        return str(value)


MB = 1024 * 1024

OPTIONS = [
    # HTTP
    Option("http_interface", "str", "0.0.0.0", "interface address the HTTP server listens on", "HTTP"),
    Option("http_port", "int", 8069, "TCP port of the HTTP server", "HTTP", flags=("-p",), metavar="PORT"),
    Option("http_enable", "bool", True, "serve HTTP (--no-http-enable: cron only)", "HTTP"),
    Option("proxy_mode", "bool", False,
           "trust X-Forwarded-For/-Proto/-Host (only behind a reverse proxy)", "HTTP"),
    Option("cors_origins", "list", [], "origins allowed to call the API from a browser, comma separated", "HTTP"),
    Option("max_http_requests", "int", 2,
           "requests a threaded server runs at once: its request threads; the other connections "
           "wait their turn in arrival order (0 = a thread per connection, no cap; --evented does "
           "not use it)", "HTTP"),
    Option("slow_request_ms", "int", 100,
           "a request running this many milliseconds stops counting against max_http_requests: "
           "one more thread serves the waiting connections until it ends (0 = it always counts)",
           "HTTP"),
    # Addons and files
    Option("addons_path", "paths", [], "comma separated folders holding addons", "Common"),
    Option("data_dir", "path", "~/.local/share/inphms",
           "folder for the embedded database and other runtime files", "Common"),
    Option("pidfile", "path", "", "file to write the server's process id to", "Common"),
    Option("lang", "str", "en", "default language of txt() when the session has none", "Common"),
    Option("dev_mode", "list", [],
           "development features, comma separated: reload (restart when addon code changes), all",
           "Common", flags=("--dev",)),
    Option("stop_after_init", "bool", False, "load everything, then exit without serving", "Common"),
    Option("ses_ttl", "int", 86400, "seconds a session may stay idle before it is ended", "Common"),
    Option("api_no_session", "list", ["api_login", "ping", "api_start_prv"],
           "API methods that run without a session (Flyton's unsessions), comma separated; "
           "a module with public = 1 needs none either", "Common"),
    Option("flyton_login", "bool", False,
           "serve a project's own server/apis/api/api_login.py instead of inphms's login", "Common"),
    Option("archive_days", "int", 30, "age in days after which inactive ses/logs rows are archived", "Common"),
    # Logging
    Option("logfile", "path", "", "write the log to this file instead of stderr", "Logging"),
    Option("log_level", "choice:debug|info|warning|error|critical", "info", "log level", "Logging"),
    # Database
    Option("db_engine", "choice:sqlite|mysql", "sqlite",
           "database engine: sqlite (embedded, a file under data_dir) or mysql (MySQL/MariaDB)", "Database"),
    Option("db_host", "str", "127.0.0.1", "database host (mysql), or a unix socket path", "Database"),
    Option("db_port", "int", 3306, "database port (mysql)", "Database"),
    Option("db_user", "str", "inphms", "database user (mysql); root is refused", "Database"),
    Option("db_password", "str", "", "database password (mysql)", "Database"),
    Option("db_name", "str", "inphms", "database name (mysql) or file name (sqlite)", "Database"),
    Option("db_maxconn", "int", 32, "largest number of pooled database connections per process", "Database"),
    Option("db_session_conns", "int", 2,
           "connections per process kept apart for the session lookup of each request, so that "
           "slow statements never make a page wait for its session", "Database"),
    Option("db_connect_timeout", "int", 5, "seconds to open a database connection (mysql)", "Database"),
    Option("db_read_timeout", "int", 45,
           "seconds to wait for the database's answer on a connection (mysql); longer than "
           "db_statement_timeout", "Database"),
    Option("db_write_timeout", "int", 10, "seconds to send a statement to the database (mysql)",
           "Database"),
    Option("db_statement_timeout", "int", 30,
           "seconds a statement may run: MariaDB's max_statement_time, SQLite's busy timeout "
           "(0 = no limit)", "Database"),
    Option("db_pool_wait", "int", 10,
           "seconds a request waits for a free pooled connection before it is answered 503",
           "Database"),
    Option("db_retry_after", "int", 5,
           "seconds the answer to a request the database could not serve tells the client to "
           "wait (Retry-After)", "Database"),
    # Multiprocessing and limits
    Option("workers", "int", 0, "number of worker processes (0 = one threaded process)", "Multiprocessing"),
    Option("worker_max_requests", "int", 0,
           "requests a prefork worker serves before it is replaced by a fresh one (0 = never)",
           "Multiprocessing"),
    Option("evented", "bool", False, "serve with gevent (one process, many greenlets)", "Multiprocessing"),
    Option("max_cron_threads", "int", 2, "number of cron threads (0 = no cron)", "Multiprocessing"),
    Option("limit_memory_soft", "int", 2048 * MB,
           "bytes of resident memory after which the server reloads itself when idle (0 = off)",
           "Multiprocessing"),
    Option("limit_memory_hard", "int", 2560 * MB,
           "bytes of address space (RLIMIT_AS) the process may never exceed (0 = off)", "Multiprocessing"),
    Option("limit_request", "int", 8 * MB,
           "largest request body in bytes; larger bodies are refused with 413", "Multiprocessing"),
    Option("limit_time_real", "int", 120,
           "seconds a request may run: past it its stack is logged and a prefork worker is "
           "recycled once it answers; also what a graceful stop or reload waits for requests in "
           "flight (0 = no limit)", "Multiprocessing"),
    Option("limit_time_cpu", "int", 60,
           "seconds of CPU time a request may use (threaded and prefork threaded workers): past it, "
           "as limit_time_real (0 = no limit)", "Multiprocessing"),
    Option("worker_timeout", "int", 60,
           "seconds a prefork worker may go without its heartbeat (once a second) before the "
           "master kills it and starts another (0 = never)", "Multiprocessing"),
    # Health checks and metrics (inphms.health, inphms.metrics)
    Option("drain_delay", "int", 0,
           "seconds a graceful stop or reload goes on serving, with /health/ready answering 503, "
           "before it stops accepting: the load balancer's time to notice (0 = at once)", "Health"),
    Option("metrics_enable", "bool", False, "serve Prometheus metrics at /metrics", "Health"),
    Option("metrics_allow", "list", ["127.0.0.1", "::1"],
           "client addresses or networks allowed to read /metrics, comma separated "
           "(behind a proxy: the address it forwards)", "Health"),
    Option("metrics_dir", "path", "",
           "folder where prefork workers keep their metrics for /metrics (default: "
           "data_dir/metrics; emptied at each start)", "Health"),
]

OPTIONS_BY_NAME = {opt.name: opt for opt in OPTIONS}


class OptionParser(optparse.OptionParser):
    """optparse that exits 2 with one line instead of a usage dump."""

    def error(self, msg):
        raise errors.ConfigError(msg)


class configmanager:
    """The effective options of this process, as a mapping."""

    def __init__(self):
        self.options = {opt.name: opt.default for opt in OPTIONS}
        self.config_file = None
        self.save = False
        self.args = []          # positional arguments a command allowed
        self.extra = None       # values of a command's own options
        self.parser = self._build_parser()

    # mapping behaviour, as Odoo-style code uses it: config['http_port']
    def __getitem__(self, key):
        return self.options[key]

    def __setitem__(self, key, value):
        self.options[key] = value

    def get(self, key, default=None):
        return self.options.get(key, default)

    def _build_parser(self, usage="%prog [server] [options]", extra=()):
        parser = OptionParser(usage=usage, prog="inphms-bin", add_help_option=True)
        if extra:
            group = optparse.OptionGroup(parser, "Command")
            group.add_options(list(extra))
            parser.add_option_group(group)
        parser.add_option("-c", "--config", dest="config", metavar="FILE",
                          help=f"config file (default ./{DEFAULT_CONFIG_NAME} or ${RC_ENV})")
        parser.add_option("-s", "--save", dest="save", action="store_true",
                          help="write the effective options to the config file")
        groups = {}
        for opt in OPTIONS:
            group = groups.get(opt.group)
            if group is None:
                group = groups[opt.group] = optparse.OptionGroup(parser, opt.group)
                parser.add_option_group(group)
            help_text = f"{opt.help} [{opt.format(opt.default) or 'none'}]"
            if opt.kind == "bool":
                group.add_option(*opt.flags, dest=opt.name, action="store_const", const="1",
                                 help=help_text)
                group.add_option("--no-" + opt.name.replace("_", "-"), dest=opt.name,
                                 action="store_const", const="0", help=optparse.SUPPRESS_HELP)
                continue
            group.add_option(*opt.flags, dest=opt.name, metavar=opt.metavar, help=help_text)
        return parser

    def parse_config(self, args=None, usage=None, extra=(), positional=False):
        """Fill the options from defaults, the config file and ``args``.

        A command may add its own optparse options (``extra``, values left in
        ``self.extra``) and accept positional arguments (left in ``self.args``).
        """
        if usage or extra:
            self.parser = self._build_parser(usage or "%prog [options]", extra)
        opts, rest = self.parser.parse_args(list(args or []))
        if rest and not positional:
            raise errors.ConfigError(f"unexpected argument: {rest[0]}")
        self.args, self.extra = rest, opts
        self.options = {opt.name: opt.default for opt in OPTIONS}
        self.config_file = self._pick_config_file(opts.config, opts.save)
        file_dir = os.getcwd()
        if self.config_file and os.path.exists(self.config_file):
            file_dir = os.path.dirname(self.config_file)
            self._read_file(self.config_file)
        for opt in OPTIONS:
            raw = getattr(opts, opt.name)
            if raw is not None:
                self.options[opt.name] = opt.parse(raw)
        self._resolve_paths(file_dir)
        self._check()
        self.save = bool(opts.save)
        if self.save:
            self.save_config()
        return self

    def _pick_config_file(self, given, saving):
        if given:
            path = os.path.abspath(os.path.expanduser(given))
            if not os.path.exists(path) and not saving:
                raise errors.ConfigError(f"option -c: config file {given} does not exist")
            return path
        if os.environ.get(RC_ENV):
            return os.path.abspath(os.path.expanduser(os.environ[RC_ENV]))
        return os.path.abspath(DEFAULT_CONFIG_NAME)

    def _read_file(self, path):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path)
        except configparser.Error as exc:
            raise errors.ConfigError(f"config file {path}: {exc}") from None
        if not parser.has_section("options"):
            return
        for key, raw in parser.items("options"):
            opt = OPTIONS_BY_NAME.get(key)
            if opt is None:
                raise errors.ConfigError(f"config file {path}: unknown option {key}")
            self.options[key] = opt.parse(raw)

    def _resolve_paths(self, base):
        """Relative paths in the file or on the command line are taken from ``base``."""
        for opt in OPTIONS:
            value = self.options[opt.name]
            if opt.kind == "path" and value:
                self.options[opt.name] = _abspath(value, base)
            if opt.kind == "paths":
                self.options[opt.name] = [_abspath(p, base) for p in value]

    def _check(self):
        for path in self.options["addons_path"]:
            if not os.path.isdir(path):
                raise errors.ConfigError(f"option addons_path: {path} is not a folder")
        networks("metrics_allow", self.options["metrics_allow"])
        port = self.options["http_port"]
        if not 0 <= port <= 65535:
            raise errors.ConfigError(f"option http_port: {port} is not a TCP port")
        for name in ("db_maxconn", "workers", "worker_max_requests", "max_cron_threads", "limit_memory_soft",
                     "limit_memory_hard", "limit_request", "limit_time_real", "ses_ttl",
                     "archive_days", "max_http_requests", "slow_request_ms", "drain_delay"):
            if self.options[name] < 0:
                raise errors.ConfigError(f"option {name}: must not be negative")

    def save_config(self):
        """Write the effective options to the config file, [options] section."""
        parser = configparser.RawConfigParser()
        if os.path.exists(self.config_file):
            parser.read(self.config_file)
        if not parser.has_section("options"):
            parser.add_section("options")
        for opt in OPTIONS:
            parser.set("options", opt.name, opt.format(self.options[opt.name]))
        os.makedirs(os.path.dirname(self.config_file), exist_ok=True)
        with open(self.config_file, "w") as handle:
            parser.write(handle)

    def db_target(self):
        """Where the database is, for logs: never the password."""
        if self.options["db_engine"] == "sqlite":
            return "sqlite " + os.path.join(self.options["data_dir"], self.options["db_name"] + ".sqlite")
        return (f"mysql {self.options['db_user']}@{self.options['db_host']}:"
                f"{self.options['db_port']}/{self.options['db_name']}")


def _abspath(path, base):
    return os.path.normpath(os.path.join(base, os.path.expanduser(path)))


def networks(name, entries):
    """The IP networks of an option (addresses or networks); ConfigError for an entry that is none."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise errors.ConfigError(f"option {name}: {entry!r} is not an address "
                                     "or a network") from None
    return nets


config = configmanager()
