"""Who is logged in, and who may log in: the runtime's one home for authentication.

Every rule about sessions, users, passwords, lockout and two-factor codes
lives here once, and the runtime (the dispatchers, the CLI, the server, the
built-in login APIs) applies these, never the Flyton tools.  The tools
``tools.db_ses``, ``tools.db_users`` and ``tools.kictotp`` keep Flyton's
names and answers for addon code and are a thin layer over this package,
so an addon's copy of one of them cannot change a rule the runtime applies.

Modules, each depending only on those above it (and on ``inphms.sql``):

- ``tokens``: the shape of a session token and of the MFA step token;
- ``roles``: the ``Roles`` column read as a list, a role compared whole;
- ``passwords``: hashing, checking, Flyton's base64 ``sis``;
- ``lockout``: failed logins counted in a window, the lock they set;
- ``totp``: RFC 6238 codes;
- ``mfa``: the second login step (its token, its failures, each code once);
- ``sessions``: the ``ses`` table (find, create, end, expire);
- ``users``: the ``users`` table (login, add, password, off, MFA, first admin).
"""
