"""The command line and the config manager."""
import configparser
import os
import re
import subprocess
import sys

import pytest

from inphms import errors
from inphms.config import OPTIONS, configmanager
from tests.support.server import BIN, ROOT

DESIGN_OPTIONS = """http_interface http_port http_enable addons_path data_dir db_engine db_host
db_port db_user db_password db_name db_maxconn max_cron_threads limit_memory_soft
limit_memory_hard limit_request limit_time_real ses_ttl archive_days pidfile logfile log_level
proxy_mode cors_origins lang dev_mode stop_after_init evented workers""".split()


def run(*args, cwd=None):
    return subprocess.run([sys.executable, BIN, *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=30)


def test_help_lists_commands_and_options():
    result = run("--help")
    assert result.returncode == 0
    assert "server" in result.stdout and "Commands:" in result.stdout
    for name in DESIGN_OPTIONS:
        assert "--" + name.replace("_", "-") in result.stdout, name


def test_command_help_lists_its_options():
    result = run("server", "--help")
    assert result.returncode == 0
    assert "--http-port" in result.stdout and "--config" in result.stdout


@pytest.mark.parametrize("args, text", [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--frobnicate"], "no such option: --frobnicate"),
    (["--http-port", "abc"], "http_port"),
    (["--addons-path", "/does/not/exist"], "addons_path"),
    (["--db-engine", "oracle"], "db_engine"),
    (["-c", "/does/not/exist.conf"], "-c"),
])
def test_bad_usage_exits_2_with_one_line(args, text, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == errors.EXIT_USAGE
    lines = [l for l in result.stderr.splitlines() if "security risk" not in l]
    assert len(lines) == 1, result.stderr
    assert text in lines[0]


def test_every_design_option_exists_and_is_documented():
    names = {opt.name for opt in OPTIONS}
    assert set(DESIGN_OPTIONS) <= names
    with open(os.path.join(ROOT, "docs", "runtime.md")) as handle:
        documented = set(re.findall(r"^\| `([a-z_]+)`", handle.read(), re.M))
    assert names <= documented, names - documented


def test_layers_defaults_then_file_then_command_line(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("[options]\nhttp_port = 9001\ndb_name = fromfile\nlog_level = debug\n")
    cfg = configmanager()
    cfg.parse_config(["-c", str(conf), "--http-port", "9002"])
    assert cfg["http_port"] == 9002           # command line beats file
    assert cfg["db_name"] == "fromfile"       # file beats default
    assert cfg["log_level"] == "debug"
    assert cfg["max_cron_threads"] == 2       # default
    assert cfg.config_file == str(conf)


def test_relative_paths_are_taken_from_the_config_file(tmp_path):
    (tmp_path / "myaddons").mkdir()
    conf = tmp_path / "a.conf"
    conf.write_text("[options]\naddons_path = myaddons\ndata_dir = var\n")
    cfg = configmanager()
    cfg.parse_config(["-c", str(conf)])
    assert cfg["addons_path"] == [str(tmp_path / "myaddons")]
    assert cfg["data_dir"] == str(tmp_path / "var")


def test_boolean_flags_and_their_negation(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("[options]\nproxy_mode = 1\n")
    cfg = configmanager()
    cfg.parse_config(["-c", str(conf)])
    assert cfg["proxy_mode"] is True
    cfg.parse_config(["-c", str(conf), "--no-proxy-mode"])
    assert cfg["proxy_mode"] is False


def test_unknown_key_in_file_is_an_error(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("[options]\nhttp_prot = 1\n")
    with pytest.raises(errors.ConfigError, match="unknown option http_prot"):
        configmanager().parse_config(["-c", str(conf)])


def test_save_writes_effective_options(tmp_path):
    conf = tmp_path / "new.conf"
    result = run("-c", str(conf), "--http-port", "9100", "--db-name", "saved", "--save",
                 "--stop-after-init", "--data-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    parser = configparser.RawConfigParser()
    parser.read(conf)
    assert parser.get("options", "http_port") == "9100"
    assert parser.get("options", "db_name") == "saved"
    assert parser.get("options", "log_level") == "info"
    # the saved file alone now gives the same options
    cfg = configmanager()
    cfg.parse_config(["-c", str(conf)])
    assert cfg["http_port"] == 9100 and cfg["db_name"] == "saved"


def test_explicit_command_hooks_addons_path_before_running(tmp_path):
    import inphms.addons
    from inphms.cli.command import Command, commands, main
    extra = tmp_path / "extra"
    extra.mkdir()
    seen = {}

    class Probe(Command):
        name = "probe_early"

        def run(self, args):
            seen["path"] = list(inphms.addons.__path__)

    try:
        assert main(["probe_early", "--addons-path", str(extra)]) == 0
    finally:
        commands.pop("probe_early")
        inphms.addons.__path__.remove(str(extra))
    assert str(extra) in seen["path"]
