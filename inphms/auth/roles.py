"""Roles: the ``users.Roles`` column is a JSON list of role keys.

A role is one item of that list, compared whole: ``sysadmin`` is not
``admin``.  ``Roles`` that are not valid JSON, or not a list (a bare string
would hold "admin" as text inside "sysadmin"), give no role at all.
"""
import json


def parse_roles(value):
    """The roles of a ``Roles`` column value, as a list (empty when it is not a JSON list)."""
    if isinstance(value, list):
        return value
    value = value or "[]"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return value


def has_role(value, role):
    """True when ``role`` is one of the roles of the ``Roles`` value."""
    return role in parse_roles(value)
