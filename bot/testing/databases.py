"""Throw-away databases for tests and benchmarks.

A subprocess (`frister serve`, `frister import`) knows its database only by
FRISTER_DATABASE_URL, and asyncpg takes no `search_path` in the URL, so a per-test schema cannot
be handed over: such tests get a whole database of their own instead, created with CREATE
DATABASE on an existing server and dropped afterwards (WITH (FORCE): a killed subprocess may
leave a connection behind).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import make_url, text

from storage.database import create_engine, upgrade


@contextlib.asynccontextmanager
async def throwaway_postgres(
    server_url: str, *, prefix: str = "frister_test", synchronous_commit: bool = True
) -> AsyncIterator[str]:
    """A fresh, empty database on the server of `server_url` (any database there will do
    for the connection); yields its URL and drops it afterwards.

    `synchronous_commit=False`: commits do not wait for the WAL flush (durability is lost only
    if PostgreSQL itself crashes), for tests about protocols between processes, not disks.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
            if not synchronous_commit:
                await connection.execute(
                    text(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
                )
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema, as `frister db upgrade` does."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
