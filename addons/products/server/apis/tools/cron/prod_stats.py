"""prod_stats: count the active products into gen (key1 'prod_count').

gen row: key1 'prod_count', val1 the number of active products,
data {"off": switched-off products, "at": "2024-06-14 10:35 UTC" (the run's time)}.
prodadmin shows it; gen_data()["prod_count"]["val"] gives it to any page.
"""
from tools.sql import *
from tools.db_prod import *

every = 300


def prod_stats(data):
    n = prod_count({}, 1)
    d = {"off": prod_count({}, 0), "at": data["now"].strftime("%Y-%m-%d %H:%M UTC")}
    w = find_in_sql({'table': 'gen', 'fld': 'key1', 'val': 'prod_count', 'what': 'id',
                     'is_active': 1, 'sort': 'id', 'desc': 1})
    if not w:
        t = insert_to_sql({'table': 'gen', 'set': {'key1': 'prod_count', 'val1': str(n)}, 'data': d})
        return prod_stats_done(t, n)
    t = insert_to_sql({'table': 'gen', 'id': w["id"], 'set': {'val1': str(n)}})
    if t["status"]:
        t = add_to_data("gen", w["id"], d)
    return prod_stats_done(t, n)


def prod_stats_done(t, n):
    """The line of the log; a write that failed makes the run fail (cron list shows it)."""
    if not t["status"]:
        raise RuntimeError(f"prod_count not saved: {t['err']}")
    return f"{n} active products"
