"""inphms: a WSGI application server that runs Flyton web projects."""
from . import patch_gevent

# --evented: gevent must patch sockets and threads before anything imports them
patch_gevent.early_patch()

from . import release  # noqa: E402
from .modules import tools_alias  # noqa: E402

__version__ = release.version

# `import tools.sql` (Flyton style) and `import inphms.tools.sql` must give the
# same module object, so the alias is installed before anything imports tools.
tools_alias.install()
