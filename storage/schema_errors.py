"""Errors about the database schema (light module: the CLI imports it before anything heavy)."""


class SchemaOutdated(Exception):
    """The database needs `frister db upgrade` first."""
