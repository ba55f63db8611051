"""CPU cost of a text where / set (tools.sql's textsql), per call, no database.

    python tests/bench/bench_textsql.py [--calls 2000]

For each text: sqlglot's own tokenize+parse (what a parse per call would
cost), the first call of a form (parse and check, "cold": the form cache
emptied before each call), and a call whose form is cached ("warm": one
tokenization and filling in the values).  Every call gets a new literal, as
f"id='{ses}'" does, so the warm figure is the real per-call cost; "same text"
repeats one text ('is_active>0' as cgi.py writes it).
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlglot  # noqa: E402

from inphms.sql import textsql  # noqa: E402

TEXTS = {
    "is_active>0": lambda i: "is_active>0",
    "id='..' AND user_id=..": lambda i: f"id='{i:029x}' AND user_id={i}",
    "4 conditions + DATE_SUB": lambda i: (f"id='{i:029x}' AND user_id={i} AND data->\"$.k\"='v{i}' "
                                          f"AND updated_at<DATE_SUB(NOW(),INTERVAL {i % 48} HOUR)"),
}


class Engine:
    name = "mysql"

    @staticmethod
    def quote(n):
        return f"`{n}`"


def per_call(fn, n):
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - t) / n * 1e6


def where(text):
    return textsql.where_sql(Engine, text)   # one calling line: the site check's steady state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    n = ap.parse_args().calls
    print(f"{'text':28} {'sqlglot parse':>14} {'cold':>10} {'warm':>10} {'same text':>10}   (us per call)")
    for name, make in TEXTS.items():
        textsql.sites.clear()
        raw = per_call(lambda i: sqlglot.parse_one(make(i), dialect=textsql.dialect), n)

        def cold(i):
            textsql.compile_shape.cache_clear()
            where(make(i))
        c = per_call(cold, n)
        where(make(0))
        w = per_call(lambda i: where(make(i + 10**6)), n)   # texts never seen: no split cache hit
        same = per_call(lambda i: where(make(0)), n)
        print(f"{name:28} {raw:14.1f} {c:10.1f} {w:10.1f} {same:10.1f}")


if __name__ == "__main__":
    main()
