"""inphms: a WSGI application server that runs Flyton web projects.

Nothing imported here may import ``socket`` or start a thread: the
launcher applies gevent's patching after this package is imported (see
``inphms.patch_gevent``).
"""
from . import release
from .modules import tools_alias

__version__ = release.version

# `import tools.sql` (Flyton style) and `import inphms.tools.sql` must give the
# same module object, so the alias is installed before anything imports tools.
tools_alias.install()
