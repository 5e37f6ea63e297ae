"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.database import current_revision, downgrade, head_revision, upgrade


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, SQLModel.metadata)


async def test_models_match_migrations(engine):
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_downgrade_and_upgrade(engine):
    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
