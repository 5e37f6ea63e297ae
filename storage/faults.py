"""Database faults a person can act on, recognised whatever wraps them (light module).

The CLI imports this before anything heavy: only the standard library is used here.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

SQLSTATE_DISK_FULL = "53100"  # PostgreSQL disk_full


class NoDatabaseDirectory(Exception):
    """The directory of an SQLite database file does not exist."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"no such directory: {directory}")
        self.directory = directory


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (None: in memory, a URI, or not SQLite)."""
    if not url.startswith("sqlite"):
        return None
    _scheme, _sep, rest = url.partition(":///")
    database = rest.split("?", 1)[0]
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def check_sqlite_directory(url: str) -> None:
    """Raise NoDatabaseDirectory when an SQLite URL points into a missing directory."""
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise NoDatabaseDirectory(path.parent)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (`orig`) and what caused it, each once."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(nested, BaseException):
                todo.append(nested)


def is_disk_full(error: BaseException) -> bool:
    """SQLite's SQLITE_FULL, PostgreSQL's disk_full or an OS error ENOSPC, however wrapped."""
    for item in _chain(error):
        if isinstance(item, OSError) and item.errno == errno.ENOSPC:
            return True
        if isinstance(item, sqlite3.Error) and (
            getattr(item, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(item)
        ):
            return True
        if getattr(item, "sqlstate", None) == SQLSTATE_DISK_FULL:
            return True
    return False


def cannot_open_sqlite(error: BaseException) -> bool:
    """SQLite could not open its database file (SQLITE_CANTOPEN)."""
    return any(
        isinstance(item, sqlite3.Error)
        and getattr(item, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
        for item in _chain(error)
    )
