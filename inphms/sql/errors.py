"""The exceptions of the database layer: ``SqlError`` and its kinds.

Every failure of a statement, of a connection or of a name check ends in a
``SqlError`` whose message names the statement (its text with placeholders,
never the values and never the password).  ``Unavailable`` is the database
being down, frozen, too slow or out of free connections: not the caller's
fault nor the code's, and worth trying again in ``retry_after`` seconds
(the server answers it with 503, see inphms.http).  ``OutcomeUnknown`` is a
write whose commit the server could not confirm: it may or may not have
been applied.
"""


class SqlError(Exception):
    """A database error, a refused name or a refused tables.sql construct."""


class TablesError(SqlError):
    """tables.sql holds something the engine cannot take; names file and line."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


class Unavailable(SqlError):
    """The database cannot answer now (down, frozen, too slow, no free connection)."""

    def __init__(self, message, retry_after=5):
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(Unavailable):
    """A write was sent but its outcome never came back: it may have been applied."""


def unavailable_in(exc):
    """The Unavailable ``exc`` is, or was raised from (its cause or context), else None."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, Unavailable):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
