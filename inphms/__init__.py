"""inphms: a WSGI application server that runs Flyton web projects."""
from . import release
from .modules import tools_alias

__version__ = release.version

# `import tools.sql` (Flyton style) and `import inphms.tools.sql` must give the
# same module object, so the alias is installed before anything imports tools.
tools_alias.install()
