"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.database import (
    HEAD_REVISION,
    current_revision,
    downgrade,
    head_revision,
    is_current,
    upgrade,
    upgrade_if_needed,
)
from storage.models import Arende, Enhet, Forlangning, Frist, Handelse


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
    assert not await is_current(engine)
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    assert await is_current(engine)


def test_the_known_head_is_alembics_head():
    assert head_revision() == HEAD_REVISION


async def test_a_start_upgrades_only_an_older_schema(engine):
    await downgrade(engine, "0008")
    assert not await is_current(engine)
    await upgrade_if_needed(engine)
    assert await current_revision(engine) == HEAD_REVISION
    await upgrade_if_needed(engine)  # at the head: nothing to do
    assert await is_current(engine)


async def test_existing_extensions_enter_the_history(engine):
    """0006 copies each extension already on a frist row into the extension history."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    await downgrade(engine, "0005")
    async with engine.begin() as connection:
        await connection.execute(insert(Enhet).values(id=1, name="Nord", created_at=now))
        await connection.execute(
            insert(Arende).values(id=1, code="K7QM-3XTP", enhet_id=1, opened_at=now)
        )
        await connection.execute(
            insert(Handelse).values(
                id=1, arende_id=1, type="utredning_inledd", date=date(2026, 5, 4), registered_at=now
            )
        )
        await connection.execute(
            insert(Frist).values(
                id=1,
                arende_id=1,
                rule_id="utredning",
                trigger_handelse_id=1,
                trigger_date=date(2026, 5, 4),
                calendar_last_day=date(2026, 9, 4),
                last_day=date(2026, 9, 4),
                extended_to=date(2026, 11, 30),
                extension_reason="Komplettering",
                extension_decided_by="U0DAN0001",
                extension_level="chef",
                created_at=now,
                updated_at=now,
            )
        )
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(Forlangning))).all()
    assert [(r.frist_id, r.from_day, r.to_day, r.reason, r.decided_by) for r in rows] == [
        (1, date(2026, 9, 4), date(2026, 11, 30), "Komplettering", "U0DAN0001")
    ]
