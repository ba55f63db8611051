"""Server-wide addons shipped with the runtime (base, web).

Its ``__path__`` is extended with the configured addons path at start-up, so
``inphms.addons.<name>`` names any loaded addon.
"""
