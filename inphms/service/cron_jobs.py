"""The cron jobs the loaded addons offer: found once, imported once.

A job is ``server/apis/tools/cron/<job>.py`` in any addon, holding
``def <job>(data)`` and ``every = SECONDS``; it may set ``timeout = SECONDS``,
the length of its lease (default ``max(60, 2 * every)``).  Each file is
imported once per process under the stable module name
``inphms.addons.<addon>.cron.<job>``.  A later addon's job of the same name
overrides an earlier one, and the override is logged.  A job file that does
not import, or lacks ``every`` or its function, is logged and left out, so
one broken job never keeps the server (or the other jobs) from running.
"""
import logging
import re
import sys

from inphms.modules.registry import index_code_files

_logger = logging.getLogger(__name__)

JOB_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_TIMEOUT = 60


class JobError(Exception):
    """A job file that cannot be used: the message names the file and why."""


class Job:
    """One loaded job: its name, where it comes from, its timing and function."""

    def __init__(self, code):
        self.code = code
        self.name = code.name
        self.addon = code.addon
        self.path = code.path
        module = code.load()
        try:
            self.func = code.function()
        except LookupError as exc:
            raise JobError(str(exc)) from None
        self.every = positive(module, "every", code.path)
        default = max(MIN_TIMEOUT, 2 * self.every)
        self.timeout = positive(module, "timeout", code.path, default)

    def __repr__(self):
        return f"Job({self.name!r}, addon {self.addon}, every {self.every}s)"


def positive(module, attr, path, default=None):
    value = getattr(module, attr, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise JobError(f"{path}: {attr} must be a whole number of seconds above 0, not {value!r}")
    return value


def job_files(addons):
    """{name: CodeFile} of the job files, a later addon winning (logged)."""
    found = {}
    for addon in addons:
        index_code_files(addon, "cron", addon.subpath("server", "apis", "tools", "cron"),
                         found, JOB_RE, what="cron job")
    return found


def load_job(code):
    """The Job of ``code``; JobError when the file cannot be used."""
    known = sys.modules.get(code.module_name)
    if known is not None and getattr(known, "__file__", None) == code.path:
        code.module = known     # discovered again in this process: imported once
    try:
        return Job(code)
    except JobError:
        raise
    except Exception as exc:
        # A syntax error or a failing import in addon code: the log gets the
        # traceback, the caller a one-line reason.
        _logger.error("cron job %s (%s) cannot be loaded", code.name, code.path, exc_info=True)
        raise JobError(f"{code.path}: {type(exc).__name__}: {exc}") from exc


def discover(addons):
    """{name: Job} of every usable job of ``addons``; broken ones are logged and left out."""
    jobs = {}
    for name, code in job_files(addons).items():
        try:
            jobs[name] = load_job(code)
        except JobError as exc:
            _logger.error("cron job %s left out: %s", name, exc)
    return jobs
