"""Errors an operator can cause, and the exit codes they end in."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2      # bad command, option or config value
EXIT_FORCED = 1     # a second SIGTERM/SIGINT during a graceful stop


class ConfigError(Exception):
    """A bad option, value or config file: exit 2 with one line."""


class StartupError(Exception):
    """The server refuses to start (root db user, bad addons, port in use): exit 1."""
