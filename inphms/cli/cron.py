"""The `cron` command: look at the scheduled jobs, run one now.

    python inphms-bin cron list               name, every, active, next, last, status
    python inphms-bin cron run JOB [--force]  runs JOB now, in the foreground

`run` holds the job's lease while it runs, as a server would, so no server
starts the same job meanwhile; a job another process holds is refused
unless --force.  The run is recorded (last run, status, error) and leaves
the schedule (next run) alone.  Exit status: 0 when the job succeeded, 1
when it failed or could not run, 2 for an unknown job.
"""
import optparse
import sys

from inphms import boot, errors, sql
from inphms.config import config
from inphms.service import cron, cron_jobs, cron_table

from .command import PROG, Command

OPTIONS = [
    optparse.make_option("--force", action="store_true", default=False,
                         help="run even when another process holds the job's lease"),
]


def when(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def status_of(w, now, known):
    if w["lease_until"] and w["lease_until"] >= now:
        return f"running on {w['lease_owner']} (lease until {when(w['lease_until'])})"
    text = w["last_status"] or "never run"
    if w["last_error"]:
        text += f": {w['last_error'].splitlines()[-1][:100]}"
    if w["name"] not in known:
        text += " (no job file in the loaded addons)"
    return text


class Cron(Command):
    """Scheduled jobs of the configured database."""
    name = "cron"
    help = "scheduled jobs: list, run JOB [--force]"
    usage = "%prog cron list | cron run JOB [--force] [options]"
    options = OPTIONS
    positional = True

    def run(self, args):
        action, names = (config.args or [""])[0], config.args[1:]
        if (action, len(names)) not in (("list", 0), ("run", 1)):
            print(f"{PROG} cron: expected list or run JOB", file=sys.stderr)
            return errors.EXIT_USAGE
        # The command runs in the foreground: its log goes to the terminal.
        quiet = {"log_level": "warning"} if action == "list" else {}
        addons = boot.boot(config, logfile="", **quiet)
        try:
            jobs = cron_jobs.discover(addons)
            cron_table.register(jobs)
            if action == "list":
                return self.do_list(jobs)
            return self.do_run(addons, jobs, names[0])
        finally:
            sql.close_all()

    def do_list(self, jobs):
        now, found = cron_table.rows()
        print(f"{'name':<20} {'every':>7}  {'active':<6}  {'next run (UTC)':<19}  "
              f"{'last run (UTC)':<19}  status")
        for w in found:
            print(f"{w['name']:<20} {w['every'] or 0:>7}  {w['is_active']:<6}  "
                  f"{when(w['next_run']):<19}  {when(w['last_run']):<19}  {status_of(w, now, jobs)}")
        return 0

    def do_run(self, addons, jobs, name):
        if name not in jobs:
            return self.not_runnable(addons, name)
        job = jobs[name]
        claim = cron_table.claim(name, cron.owner_name(), job.timeout, manual=True,
                                 force=config.extra.force)
        if claim is None:
            until, owner = cron_table.lease_of(name)
            print(f"{PROG} cron: job {name} is running on {owner} (lease until {when(until)} UTC); "
                  "use --force to run it anyway", file=sys.stderr)
            return errors.EXIT_ERROR
        try:
            status, error = cron.run_job(job, claim, addons=addons, manual=True)
        except KeyboardInterrupt:
            print(f"{PROG} cron: job {name} interrupted", file=sys.stderr)
            return errors.EXIT_ERROR
        if status != "ok":
            print(f"cron job {name}: error: {error}")
            return errors.EXIT_ERROR
        print(f"cron job {name}: ok")
        return 0

    def not_runnable(self, addons, name):
        code = cron_jobs.job_files(addons).get(name)
        if code is None:
            known = ", ".join(sorted(cron_jobs.job_files(addons))) or "none"
            print(f"{PROG} cron: no job {name!r} in the loaded addons (jobs: {known})", file=sys.stderr)
            return errors.EXIT_USAGE
        try:
            cron_jobs.load_job(code)
        except cron_jobs.JobError as exc:
            print(f"{PROG} cron: job {name} cannot be loaded: {exc}", file=sys.stderr)
        return errors.EXIT_ERROR
