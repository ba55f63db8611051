"""A parsed tables.sql ``Table`` as MySQL runs it: the author's own statement.

The statement text is kept as written, with ``IF NOT EXISTS`` added (two
processes may start at once) and ``DEFAULT CHARSET=utf8mb4`` when the table
names no character set, so Hebrew and other non-Latin text is always stored.
"""


def create_statements(table):
    text = table.text
    if not table.if_not_exists:
        text = text[:table.name_offset] + "IF NOT EXISTS " + text[table.name_offset:]
    if "charset" not in table.options and "collate" not in table.options:
        text += " DEFAULT CHARSET=utf8mb4"
    return [(text, None)]
