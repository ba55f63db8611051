"""The Flyton core tools, importable as `tools.*` (see inphms.modules.tools_alias).

The package path is extended at start-up with every loaded addon's
`server/apis/tools/` folder, so `from tools.db_prod import *` finds an
addon's own tool.  These tools are the addon-facing layer: the runtime never
applies a rule through them.  db_ses, db_users and kictotp give Flyton's
names to the rules of inphms.auth (sessions, users, passwords, lockout,
TOTP), which the server's login and session checks use directly.
"""
