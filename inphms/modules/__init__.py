"""Addons: the addons path, manifests, loading order and the `tools` namespace."""
