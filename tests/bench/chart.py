"""The chart of one benchmark run: an SVG of requests/s, p50 and p99 per server.

    python tests/bench/chart.py REPORT [SVG]

run.py calls ``write()`` with the rows it measured at the end of every full
run, so docs/performance.svg always shows the table beside it.  From the
command line it reads the table of a report (what run.py prints, or the
table copied from docs/performance.md) and draws the same chart to SVG
(default: standard output).

One panel per endpoint and connection count.  In each, a row per server:
a bar of its requests/s (scaled to the panel's fastest server, longer is
better) and a bar of its latency on a log scale shared by every panel (p50
dark, p99 light, shorter is better), each with its figure written beside
it exactly as the table writes it.  Every row is a ``<g class="row">``
whose ``data-*`` attributes carry the figures, so a test or a script can
read them back.  Hand-written SVG, standard library only.
"""
import math
import sys
from xml.sax.saxutils import escape, quoteattr

ORDER = ("dashboard", "api", "static")
LABEL_W, RPS_W, RPS_TEXT_W, LAT_W, LAT_TEXT_W = 200, 270, 60, 260, 110
ROW_H, HEAD_H, GAP, MARGIN = 16, 24, 12, 10
WIDTH = MARGIN * 2 + LABEL_W + RPS_W + RPS_TEXT_W + LAT_W + LAT_TEXT_W
COLORS = (("inphms granian", "#d69e2e"), ("flask granian", "#b7791f"), ("inphms", "#2b6cb0"),
          ("flyton", "#c53030"), ("", "#718096"))


def fmt_rps(value):
    return f"{value:,.0f}"


def fmt_ms(value):
    return f"{value:.1f}"


def group_of(row):
    """The panel's endpoint: the hello-worlds are the static file's references."""
    return "static" if row["endpoint"] == "hello" else row["endpoint"]


def measured(rows):
    """The rows with figures (not "not available", not failed)."""
    return [r for r in rows if all(isinstance(r.get(k), (int, float)) for k in ("rps", "p50", "p99"))]


def panels(rows):
    """[((endpoint, conns), [rows])] in the table's order of endpoints, connections ascending."""
    found = {}
    for r in measured(rows):
        found.setdefault((group_of(r), int(r["conns"])), []).append(r)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found.items(), key=lambda item: (rank.get(item[0][0], len(ORDER)), item[0]))


def color(server):
    return next(c for prefix, c in COLORS if server.startswith(prefix))


def latency_scale(rows):
    """(low, high) in ms: powers of ten around every p50 and p99 of the run."""
    values = [v for r in rows for v in (r["p50"], r["p99"]) if v > 0] or [1.0]
    return 10.0 ** math.floor(math.log10(min(values))), 10.0 ** math.ceil(math.log10(max(values)))


def text(x, y, body, anchor="start", size=11, weight="normal", fill="#1a202c"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-weight="{weight}" fill="{fill}">{escape(body)}</text>')


def rect(x, y, w, h, fill, opacity=1.0):
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h:.1f}" '
            f'fill="{fill}" fill-opacity="{opacity:g}"/>')


def draw(rows, note=""):
    """The SVG text of the chart of ``rows`` (run.py's row dicts: server, endpoint, conns,
    rps, p50, p99); ``note`` is a line under the title (machine, date)."""
    groups = panels(rows)
    low, high = latency_scale(measured(rows))
    span = math.log10(high / low) or 1.0
    rps_x = MARGIN + LABEL_W
    lat_x = rps_x + RPS_W + RPS_TEXT_W

    def lat_pos(ms):
        return lat_x + LAT_W * math.log10(max(ms, low) / low) / span

    out, y = [], MARGIN + 16
    out.append(text(MARGIN, y, "inphms benchmark: requests/s (longer is better) and latency "
                    "p50 / p99 in ms, log scale (shorter is better)", size=13, weight="bold"))
    if note:
        y += 16
        out.append(text(MARGIN, y, note, size=10, fill="#4a5568"))
    y += GAP
    for (endpoint, conns), members in groups:
        top = max(r["rps"] for r in members) or 1.0
        y += HEAD_H
        out.append(text(MARGIN, y - 6, f"{endpoint}, {conns} connections", size=12, weight="bold"))
        out.append(text(rps_x, y - 6, "requests/s", size=10, fill="#4a5568"))
        ticks, t = [], low
        while t <= high * 1.001:
            ticks.append(t)
            t *= 10
        bottom = y + ROW_H * len(members)
        for t in ticks:
            out.append(f'<line x1="{lat_pos(t):.1f}" y1="{y:.1f}" x2="{lat_pos(t):.1f}" '
                       f'y2="{bottom:.1f}" stroke="#e2e8f0"/>')
            out.append(text(lat_pos(t), y - 6, f"{t:g} ms", anchor="middle", size=9, fill="#4a5568"))
        for r in members:
            rps, p50, p99 = fmt_rps(r["rps"]), fmt_ms(r["p50"]), fmt_ms(r["p99"])
            attrs = " ".join(f"data-{k}={quoteattr(str(v))}" for k, v in (
                ("server", r["server"]), ("endpoint", r["endpoint"]), ("conns", r["conns"]),
                ("rps", rps), ("p50", p50), ("p99", p99)))
            fill = color(r["server"])
            mid = y + ROW_H - 4
            out.append(f'<g class="row" {attrs}>')
            out.append(f"<title>{escape(r['server'])} {escape(r['endpoint'])} c{r['conns']}: "
                       f"{rps} req/s, p50 {p50} ms, p99 {p99} ms</title>")
            out.append(text(rps_x - 6, mid, r["server"], anchor="end"))
            out.append(rect(rps_x, y + 2, RPS_W * r["rps"] / top, ROW_H - 4, fill))
            out.append(text(rps_x + RPS_W * r["rps"] / top + 4, mid, rps))
            out.append(rect(lat_x, y + 4, lat_pos(r["p99"]) - lat_x, ROW_H - 8, fill, 0.4))
            out.append(rect(lat_x, y + 4, lat_pos(r["p50"]) - lat_x, ROW_H - 8, fill))
            out.append(text(lat_pos(r["p99"]) + 4, mid, f"{p50} / {p99}"))
            out.append("</g>")
            y += ROW_H
        y += GAP
    height = y + MARGIN
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="sans-serif">')
    back = f'<rect x="0" y="0" width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>'
    return "\n".join([head, back] + out + ["</svg>"]) + "\n"


def write(path, rows, note=""):
    with open(path, "w") as handle:
        handle.write(draw(rows, note))


def number(cell):
    return float(cell.replace(",", ""))


def rows_of_report(report):
    """run.py's rows (the figures the chart needs) from the report's table: the first
    markdown table with the columns req/s, p50 ms and p99 ms."""
    lines = report.splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith("|")
                  and {"req/s", "p50 ms", "p99 ms"} <= {c.strip() for c in x.split("|")}), None)
    if start is None:
        raise ValueError("no table of req/s, p50 ms and p99 ms in the report")
    head = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = dict(zip(head, (c.strip() for c in line.strip("|").split("|"))))
        try:
            rows.append({"server": cells["server"], "endpoint": cells["endpoint"],
                         "conns": int(cells["conns"]), "rps": number(cells["req/s"]),
                         "p50": number(cells["p50 ms"]), "p99": number(cells["p99 ms"])})
        except (KeyError, ValueError):
            continue        # "not available" and failed rows carry no figures
    return rows


def main(argv):
    if len(argv) not in (1, 2):
        raise SystemExit(__doc__.split("\n\n")[1])
    with open(argv[0]) as handle:
        report = handle.read()
    note = next((x for x in report.splitlines() if x.startswith("machine: ")), "")
    svg = draw(rows_of_report(report), note)
    if len(argv) == 1:
        sys.stdout.write(svg)
        return 0
    with open(argv[1], "w") as handle:
        handle.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
