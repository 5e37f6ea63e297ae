"""What kind of outage a database error is: the database cannot be reached, or its disk is
full. Anything else is a fault in Frister (or its data), not an outage to wait out."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

UNREACHABLE, DISK_FULL = "database unreachable", "disk full"
FREE_MARGIN = 1024 * 1024  # bytes: less than this left on the disk counts as full

# SQLSTATE classes: 08 connection exception, 57 operator intervention (shutdown, starting up),
# 53 insufficient resources (53100 disk full).
_UNREACHABLE_STATES = ("08", "57P")


def _sqlstate(error: BaseException | None) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def outage_kind(error: BaseException) -> str | None:
    """UNREACHABLE, DISK_FULL, or None when `error` is no outage."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the error and what it wraps
        seen.add(id(current))
        kind = _kind(current)
        if kind:
            return kind
        current = getattr(current, "orig", None) or current.__cause__
    return None


def _kind(error: BaseException) -> str | None:
    if isinstance(error, sqlite3.Error):
        return (
            DISK_FULL if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL else None
        )
    state = _sqlstate(error)
    if state == "53100":
        return DISK_FULL
    if state.startswith(_UNREACHABLE_STATES):
        return UNREACHABLE
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return UNREACHABLE
    if isinstance(error, OSError | TimeoutError | exc.InterfaceError):
        return UNREACHABLE
    name = type(error).__name__  # asyncpg's, without importing it on SQLite
    if name in ("ConnectionDoesNotExistError", "InterfaceError", "CannotConnectNowError"):
        return UNREACHABLE
    return None


async def checkpoint(engine: AsyncEngine) -> None:
    """SQLite: fold the write-ahead log into the database file and truncate it, so a disk that
    filled up gets the log's space back. A no-op elsewhere (and best effort)."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def disk_full(engine: AsyncEngine) -> bool:
    """SQLite: is there no room to grow? True when the database is at its page limit (`PRAGMA
    max_page_count`) or its folder's file system has less than FREE_MARGIN left."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return False
    async with engine.connect() as connection:
        pages = (await connection.exec_driver_sql("PRAGMA page_count")).scalar_one()
        limit = (await connection.exec_driver_sql("PRAGMA max_page_count")).scalar_one()
    if pages >= limit:
        return True
    folder = Path(engine.url.database).resolve().parent
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize < FREE_MARGIN
