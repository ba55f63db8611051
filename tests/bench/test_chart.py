"""The chart beside docs/performance.md shows the page's table, and chart.py reads a report.

A full benchmark run writes docs/performance.svg from the rows it measured
and prints the table that goes on the page; a chart left from another run
than the table would show figures the page does not.  Fast: no benchmark
runs here (test_bench_smoke.py runs one and checks the chart it draws).
"""
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from tests.bench import chart

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "performance.md"
SVG = ROOT / "docs" / "performance.svg"
NS = "{http://www.w3.org/2000/svg}"
KEYS = ("server", "endpoint", "conns", "rps", "p50", "p99")


def drawn(svg_text):
    """(server, endpoint, conns, req/s, p50, p99) of every row of a chart, as written."""
    root = ElementTree.fromstring(svg_text)
    assert root.tag == f"{NS}svg"
    return [tuple(g.get(f"data-{k}") for k in KEYS) for g in root.iter(f"{NS}g")]


def as_written(rows):
    return [(r["server"], r["endpoint"], str(r["conns"]), chart.fmt_rps(r["rps"]),
             chart.fmt_ms(r["p50"]), chart.fmt_ms(r["p99"])) for r in rows]


def test_the_chart_beside_the_page_shows_the_page_table():
    rows = chart.rows_of_report(PAGE.read_text())
    assert len(rows) >= 20, rows
    assert "](performance.svg)" in PAGE.read_text()
    assert sorted(drawn(SVG.read_text())) == sorted(as_written(rows))


def test_the_command_line_draws_a_saved_report(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text(
        "machine: a test & more\n\n"
        "| server | procs | endpoint | conns | req/s | p50 ms | p99 ms | errors |\n"
        "|---|--:|---|--:|--:|--:|--:|--:|\n"
        "| inphms threaded | 1 | dashboard | 16 | 1,649 | 9.4 | 15.1 | 0 |\n"
        "| flask <1w> | 1+m | dashboard | 16 | 754 | 20.3 | 37.7 | 0 |\n"
        "| hello gunicorn 1w x 8t | 1+m | hello | 64 | 12,000 | 0.4 | 2.0 | 0 |\n"
        "| inphms evented | 1 | api | 16 | not available | | | |\n")
    out = tmp_path / "chart.svg"
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "chart.py"), str(report), str(out)],
                          cwd=ROOT, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert drawn(text) == [("inphms threaded", "dashboard", "16", "1,649", "9.4", "15.1"),
                           ("flask <1w>", "dashboard", "16", "754", "20.3", "37.7"),
                           ("hello gunicorn 1w x 8t", "hello", "64", "12,000", "0.4", "2.0")]
    root = ElementTree.fromstring(text)
    shown = [t.text for t in root.iter(f"{NS}text")]
    assert "machine: a test & more" in shown
    assert "dashboard, 16 connections" in shown and "static, 64 connections" in shown
