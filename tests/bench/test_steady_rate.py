"""run.py's SteadyRate: the CGI reference's requests/s from its log of request durations.

wrk's count leaves out the request each connection still waits for when the
run ends; SteadyRate takes connections / mean duration of the requests that
began and ended within the run instead.  These tests write the log the way
Apache's ``LogFormat "%{end:usec}t %D"`` (and cgi/runner.py) write it.
"""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

SPEC = importlib.util.spec_from_file_location("bench_run", Path(__file__).with_name("run.py"))
run = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(run)


def line(end_us, took_us):
    return f"{int(end_us)} {int(took_us)}\n"


def window(tmp_path, before=""):
    log = tmp_path / "timing.log"
    log.write_text(before)
    steady = run.SteadyRate(str(log))
    steady.began_us, steady.ended_us = 1_000_000_000, 1_030_000_000     # a 30 s run
    return log, steady


def test_the_rate_is_connections_over_the_mean_duration(tmp_path):
    log, steady = window(tmp_path)
    b = steady.began_us
    # 4 connections, each answered every 0.8 or 1.2 s: mean 1.0 s, so 4 requests/s
    with open(log, "a") as handle:
        for k in range(1, 20):
            handle.write(line(b + k * 1.5e6, 0.8e6))
            handle.write(line(b + k * 1.5e6 + 1, 1.2e6))
    r = {"rps": 3.1, "requests": 93}
    steady.add_to(r, 4)
    assert abs(r["rps"] - 4.0) < 1e-9
    assert r["counted_rps"] == 3.1


def test_only_requests_that_began_and_ended_within_the_run_count(tmp_path):
    # lines of an earlier run (before the offset) and a warm-up request are left out
    log, steady = window(tmp_path, before=line(999_000_000, 50_000_000) * 3)
    steady.offset = log.stat().st_size
    b, e = steady.began_us, steady.ended_us
    with open(log, "a") as handle:
        handle.write(line(b + 1e6, 2e6))            # began before the run
        handle.write(line(e + 1e6, 0.5e6))          # ended after it (wrk had gone)
        handle.write("not a timing line\n")
        for k in range(1, 9):
            handle.write(line(b + k * 2e6, 2e6))    # 2 s each: inside
    assert steady.durations() == [2_000_000] * 8
    r = {"rps": 1.0, "requests": 8}
    steady.add_to(r, 2)
    assert abs(r["rps"] - 1.0) < 1e-9


def test_too_few_requests_leave_wrks_count(tmp_path):
    log, steady = window(tmp_path)
    with open(log, "a") as handle:
        handle.write(line(steady.began_us + 3e6, 1e6))
    r = {"rps": 0.5, "requests": 1}
    steady.add_to(r, 16)
    assert r == {"rps": 0.5, "requests": 1}


def test_a_failed_run_stays_failed(tmp_path):
    log, steady = window(tmp_path)
    with open(log, "a") as handle:
        for k in range(1, 40):
            handle.write(line(steady.began_us + k * 0.5e6, 0.4e6))
    r = {"error": "wrk failed"}
    steady.add_to(r, 4)
    assert r == {"error": "wrk failed"}


def test_the_report_says_how_each_cgi_figure_was_found():
    def line(how, rows):
        return run.cgi_line(SimpleNamespace(cgi_how=how, rows=rows))
    assert line("not run", [{"server": "inphms threaded", "conns": 16}]) == "flyton cgi: not run"
    both = line("apache2", [{"server": "flyton cgi", "conns": 16, "counted_rps": 11.25},
                            {"server": "flyton cgi", "conns": 64}])
    assert "mean duration" in both and "wrk counted c16 11.2" in both
    assert both.endswith("too few logged for c64: wrk's count")
    assert line("runner", [{"server": "flyton cgi", "conns": 16}]).endswith(
        "requests/s as wrk counted them")
