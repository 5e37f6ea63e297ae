"""Test data: units, staff and cases written through the real storage layer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from bot.bootstrap import App
from bot.domain.pseudonym import Pseudonymiser
from storage.database import session_factory, transaction
from storage.models import Enhet, Person
from tests.conftest import TEST_KEY

HEADER = "arende;enhet;handlaggare;handelse;datum\n"
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def code_of(reference: str) -> str:
    return Pseudonymiser(TEST_KEY).code(reference)


async def import_rows(app: App, *rows: tuple[str, str, str, str, date]) -> None:
    """Import (reference, enhet, handläggare, event, date) rows through the real importer."""
    lines = "".join(f"{r};{e};{h};{ev};{d.isoformat()}\n" for r, e, h, ev, d in rows)
    await app.importer().run(HEADER + lines)


async def add_person(
    engine, chat_user_id: str, role: str, enhet: str | None = None, **fields
) -> int:
    """A member of staff; the enhet is created when missing."""
    async with transaction(session_factory(engine)) as session:
        enhet_id = None
        if enhet is not None:
            enhet_id = (await session.execute(select(Enhet.id).where(Enhet.name == enhet))).scalar()
            if enhet_id is None:
                unit = Enhet(name=enhet, created_at=EPOCH)
                session.add(unit)
                await session.flush()
                enhet_id = unit.id
        existing = (
            await session.execute(select(Person).where(Person.chat_user_id == chat_user_id))
        ).scalar()
        if existing is not None:
            for key, value in {"role": role, "enhet_id": enhet_id, **fields}.items():
                setattr(existing, key, value)
            return existing.id
        member = Person(
            chat_user_id=chat_user_id, role=role, enhet_id=enhet_id, created_at=EPOCH, **fields
        )
        session.add(member)
        await session.flush()
        return member.id


async def set_escalation_channel(engine, enhet: str, channel: str) -> None:
    async with transaction(session_factory(engine)) as session:
        await session.execute(
            update(Enhet).where(Enhet.name == enhet).values(escalation_channel=channel)
        )


async def person_id(engine, chat_user_id: str) -> int:
    async with transaction(session_factory(engine)) as session:
        return (
            await session.execute(select(Person.id).where(Person.chat_user_id == chat_user_id))
        ).scalar_one()
