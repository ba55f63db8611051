"""Small function helpers of the runtime (as Odoo's ``tools.func``)."""


class lazy_property:
    """A property computed on first access, then kept as a plain attribute.

    The first read calls the method and stores the result in the instance's
    ``__dict__`` under the same name; since this is a non-data descriptor,
    later reads find that value directly and never call the method again.
    ``del obj.name`` drops the stored value, so the next read computes it anew.
    """

    def __init__(self, func):
        self.func = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __set_name__(self, owner, name):
        self.__name__ = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.__name__] = value
        return value
