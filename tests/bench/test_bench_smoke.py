"""The benchmark harness works: ``run.py --quick`` on the threaded mode (and a
variant of it with one request thread) prints its table.

Not a timing test: no figure is compared with a bar.  It checks that every
server of the run started, every endpoint answered as it must (run.py checks
the reference's dashboard is byte for byte inphms's before measuring) and was
measured, and that the report has its table, ratios and goal lines.  Needs
wrk and nginx (Debian), gunicorn and flask (PyPI), MariaDB; Apache (apache2 and
python3-pymysql) for the CGI row, else run.py uses its standard-library runner
(with both installed, as ``bash tests/run`` does, the row must come from Apache).
"""
import importlib.util
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.bench.cgi.apache import apache_parts

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tests" / "bench" / "run.py"

VARIANT = "threaded1=threaded:--max-http-requests 1"
EXPECTED = [
    ("inphms threaded", "dashboard"), ("inphms threaded", "api"), ("inphms threaded", "static"),
    ("inphms threaded1", "dashboard"), ("inphms threaded1", "api"), ("inphms threaded1", "static"),
    ("flask 1w x 8t", "dashboard"), ("flask 1w x 8t", "api"),
    ("hello gunicorn 1w x 8t", "hello"), ("hello werkzeug threaded", "hello"),
    ("nginx 1w", "static"), ("flyton cgi", "dashboard"),
]


def table_rows(text):
    """The rows of the report's table as dicts keyed by the header's names."""
    lines = [x for x in text.splitlines() if x.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in x.strip("|").split("|")))) for x in lines[2:]]


def number(text):
    return float(text.replace(",", "").rstrip("x"))


def test_quick_run_prints_the_table(tmp_path):
    missing = [name for name in ("wrk",) if not shutil.which(name)]
    missing += [name for name in ("gunicorn", "flask") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(f"the benchmark needs {', '.join(missing)}: bash tests/run installs them")
    out, svg = tmp_path / "report.txt", tmp_path / "chart.svg"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--modes", "threaded", "--variant", VARIANT,
                           "--out", str(out), "--chart", str(svg)],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    text = out.read_text()
    assert text == done.stdout
    assert "not available" not in text, text
    rows = table_rows(text)
    for server, endpoint in EXPECTED:
        row = next((r for r in rows if r["server"] == server and r["endpoint"] == endpoint), None)
        assert row, f"no row for {server} {endpoint}:\n{text}"
        assert number(row["req/s"]) > 0, row
        assert number(row["p50 ms"]) > 0 and number(row["p99 ms"]) >= number(row["p50 ms"]), row
        assert row["errors"] == "0", row
        if server == "flyton cgi":
            assert row["CPU us/req"] == "-", row
        else:
            assert number(row["CPU us/req"]) > 0, row
        if server.startswith("inphms"):
            assert re.fullmatch(r"\d+\.\d\dx", row["ratio"]), row
            assert row["compared with"] in ("flask 1w x 8t", "hello gunicorn 1w x 8t"), row
            assert number(row["RSS MB"]) > 0, row
    assert "machine: " in text and "cpus" in text
    if apache_parts()[0] is not None:
        # Apache could run the script (bash tests/run installs apache2 and
        # python3-pymysql): the reference docs/performance.md names, not the fallback
        assert re.search(r"^flyton cgi: apache2 ", text, re.M), text
    # the CGI reference's rate came from its log of request durations (SteadyRate)
    assert re.search(r"^flyton cgi: .*mean duration .*\(wrk counted c16 [\d.]+\)$", text, re.M), text
    goals = text.split("goals:", 1)[1]
    assert "inphms threaded (paired with gunicorn 1 worker x 8 threads)" in goals
    assert "inphms threaded1 (paired with gunicorn 1 worker x 8 threads)" in goals
    verdicts = re.findall(r"^  - .* -> (met|NOT met)$", goals, re.M)
    # per server: five goals against Flask, hello and CGI, three against inphms's
    # Application under granian (verdicts only; the RSS line is not measured)
    assert len(verdicts) == 16, goals
    assert goals.count("inphms's Application under granian") == 6, goals
    assert "no growth over the last half: not measured (run with --memory)" in goals
    # the chart (chart.py) is well-formed SVG and holds every figure of the table
    groups = list(ElementTree.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}g"))
    drawn = {tuple(g.get(f"data-{k}") for k in ("server", "endpoint", "conns", "rps", "p50", "p99"))
             for g in groups}
    for g in groups:
        shown = [t.text for t in g.iter("{http://www.w3.org/2000/svg}text")]
        assert g.get("data-rps") in shown and f"{g.get('data-p50')} / {g.get('data-p99')}" in shown, shown
    assert drawn == {(r["server"], r["endpoint"], r["conns"], r["req/s"], r["p50 ms"], r["p99 ms"])
                     for r in rows}, drawn


@pytest.mark.parametrize("spec, message", [
    ("threaded1", "expected NAME=MODE:OPTIONS"),
    ("threaded=threaded:--max-http-requests 1", "the name threaded is taken"),
    ("fast=turbo:", "unknown mode turbo"),
    ("four=threaded:--workers 4", "keeps its mode's --workers"),
])
def test_a_bad_variant_is_refused_before_anything_starts(spec, message):
    done = subprocess.run([sys.executable, str(RUN), "--modes", "threaded", "--variant", spec],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr, done.stderr
    assert done.stdout == "", done.stdout
