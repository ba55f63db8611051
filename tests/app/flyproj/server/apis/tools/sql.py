# sql.py - the project's copy of the core tool: inphms's serves instead, so this never runs


def find_in_sql(r):
    raise RuntimeError("the project's own sql.py ran")
