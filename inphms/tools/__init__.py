"""The Flyton core tools, importable as `tools.*` (see inphms.modules.tools_alias).

The package path is extended at start-up with every loaded addon's
`server/apis/tools/` folder, so `from tools.db_prod import *` finds an
addon's own tool.
"""
