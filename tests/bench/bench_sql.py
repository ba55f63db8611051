"""Operations per second of find_in_sql (by id) and insert_to_sql, both engines.

    python tests/bench/bench_sql.py [--seconds 3] [--engines sqlite,mysql] [--threads 1,8]

SQLite runs on a file in a temporary folder (WAL, synchronous=NORMAL); MySQL
on a private MariaDB started by tests/support/mariadb.py over TCP on
127.0.0.1, with its default durability (redo log flushed at each commit),
removed at the end.
Each figure is the number of calls finished by all threads in --seconds,
divided by the time taken.  The numbers are for comparing changes on one
machine, not promises.
"""
import argparse
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import inphms  # noqa: E402
from inphms import sql  # noqa: E402
from inphms.config import config  # noqa: E402
from inphms.modules.module import load_addons  # noqa: E402
from tests.support.mariadb import MariaDB  # noqa: E402
from tools.sql import find_in_sql, insert_to_sql, kic_sql  # noqa: E402

ADDONS = ROOT / "tests" / "sql" / "addons"
ROWS = 10_000


def setup(options):
    sql.close_all()
    config.options.update(options)
    sql.configure(config)
    sql.init_database(config, load_addons(config))
    with sql.cursor(tx=True) as cr:
        cr.executemany("INSERT INTO prod (name, price) VALUES (%s, %s)", [(f"p{i}", i) for i in range(ROWS)])
    first = kic_sql("SELECT MIN(id) FROM prod")[0][0]
    return list(range(first, first + ROWS))


def find_op(ids):
    rnd = random.Random()

    def op():
        w = find_in_sql({"table": "prod", "fld": "id", "val": rnd.choice(ids)})
        assert w
    return op


def insert_op(ids):
    def op():
        t = insert_to_sql({"table": "prod", "set": {"name": "bench", "price": 1}})
        assert t["status"] == 1
    return op


def measure(make_op, ids, threads, seconds):
    counts = [0] * threads
    stop = threading.Event()
    start = threading.Barrier(threads + 1)

    def work(n):
        op = make_op(ids)
        start.wait()
        while not stop.is_set():
            op()
            counts[n] += 1

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for th in pool:
        th.start()
    start.wait()
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for th in pool:
        th.join()
    return sum(counts) / (time.perf_counter() - began)


def engine_options(engine, tmp, server):
    base = {"data_dir": tmp, "db_maxconn": 16, "addons_path": [str(ADDONS)]}
    if engine == "sqlite":
        return {**base, "db_engine": "sqlite", "db_name": f"bench{random.randrange(10**6)}"}
    return {**base, **server.options(server.create_database("inphms_bench"))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--engines", default="sqlite,mysql")
    parser.add_argument("--threads", default="1,8")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    engines = args.engines.split(",")
    server = None
    tmp = tempfile.mkdtemp(prefix="inphms-bench-")
    try:
        if "mysql" in engines:
            server = MariaDB(Path(tmp) / "mariadb", durable=True).start()
        print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
              f"{args.seconds:g} s per figure, {os.cpu_count()} cpus")
        print(f"{'engine':<8}{'operation':<24}{'threads':>8}{'ops/s':>12}")
        for engine in engines:
            ids = setup(engine_options(engine, tmp, server))
            for name, make_op in (("find_in_sql by id", find_op), ("insert_to_sql", insert_op)):
                for n in threads:
                    rate = measure(make_op, ids, n, args.seconds)
                    print(f"{engine:<8}{name:<24}{n:>8}{rate:>12,.0f}", flush=True)
            sql.close_all()
    finally:
        sql.close_all()
        if server is not None:
            server.cleanup()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
