"""The Dispatcher base class and its registry.

A subclass joins the registry by being defined (``__init_subclass__``),
under its ``routing_type``; the Application picks one per request from the
request's path with ``Dispatcher.for_path``.
"""
import abc

from inphms import answers

dispatchers = {}


class Dispatcher(abc.ABC):
    routing_type = None
    paths = ()            # exact paths this dispatcher answers
    prefixes = ()         # path prefixes this dispatcher answers

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.routing_type:
            dispatchers[cls.routing_type] = cls

    def __init__(self, request):
        self.request = request

    @classmethod
    def accepts(cls, path):
        return path in cls.paths or path.startswith(cls.prefixes)

    @classmethod
    def for_path(cls, path):
        for dispatcher in dispatchers.values():
            if dispatcher.accepts(path):
                return dispatcher
        return None

    def refuse(self, status, reason):
        """The answer to a request the client got wrong (4xx), ``reason`` in one line."""
        return answers.plain(status, reason)

    def unavailable(self, exc):
        """The answer when the database cannot serve the request now (``sql.Unavailable``)."""
        answer = answers.plain(503, "the service is unavailable for now, try again later")
        answer.headers.append(("Retry-After", str(exc.retry_after)))
        return answer

    @abc.abstractmethod
    def dispatch(self):
        """Answer the request: return a werkzeug Response."""
