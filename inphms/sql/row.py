"""Result rows: tuples that also answer to their column names.

Flyton code reads a row by position (``w[0]``) and newer code by name
(``w["username"]``).  A row is a tuple, so positions, slicing, ``len``,
unpacking and JSON encoding behave as before; a string index looks the
column up by name.  ``dict(row)`` gives ``{column: value}``.
"""
import functools


class Row(tuple):
    """Base of the per-result row classes; ``index`` maps a name to its position."""
    __slots__ = ()
    index = {}
    names = ()

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                key = self.index[key]
            except KeyError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def get(self, key, default=None):
        if key in self.index:
            return self[key]
        return default

    def todict(self):
        """{column: value}; the first of equal column names wins."""
        if len(self.index) == len(self):
            return dict(zip(self.names, self))
        return {name: tuple.__getitem__(self, i) for name, i in self.index.items()}

    def keys(self):
        return list(self.index)

    def items(self):
        return [(name, self[name]) for name in self.index]

    def __repr__(self):
        return "Row(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"


@functools.lru_cache(maxsize=512)
def row_class(names):
    """A Row subclass for this tuple of column names (the first of equal names wins)."""
    index = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
    return type("Row", (Row,), {"__slots__": (), "index": index, "names": names})


def make_rows(description, records):
    """Wrap DB-API records as Row objects named after ``description``."""
    cls = row_class(tuple(col[0] for col in description))
    return [cls(rec) for rec in records]
