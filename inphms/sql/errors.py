"""The one exception of the database layer: ``SqlError``.

Every failure of a statement, of a connection or of a name check ends in a
``SqlError`` whose message names the statement (its text with placeholders,
never the values and never the password).
"""


class SqlError(Exception):
    """A database error, a refused name or a refused tables.sql construct."""


class TablesError(SqlError):
    """tables.sql holds something the engine cannot take; names file and line."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
