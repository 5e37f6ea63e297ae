"""The address book on SQLite and PostgreSQL: insert, replace, lookup; one row per key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.ports.addresses import Address
from storage.addresses import SqlAddressBook
from storage.database import session_factory
from storage.models import ChatAddress

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def address(key: str = "aad-1", conversation: str = "a:1", at: datetime = AT) -> Address:
    return Address(
        platform="teams",
        key=key,
        conversation_id=conversation,
        service_url="https://smba.trafficmanager.net/emea/",
        tenant_id="tenant",
        updated_at=at,
    )


async def test_remember_and_replace(engine):
    book = SqlAddressBook(session_factory(engine))
    assert await book.lookup("teams", "aad-1") is None
    await book.remember(address())
    assert await book.lookup("teams", "aad-1") == address()
    later = address(conversation="a:2", at=AT + timedelta(days=1))
    await book.remember(later)
    assert await book.lookup("teams", "aad-1") == later
    assert await book.lookup("slack", "aad-1") is None


async def test_concurrent_sightings_leave_one_row(engine):
    book = SqlAddressBook(session_factory(engine))
    await asyncio.gather(*(book.remember(address(conversation=f"a:{n}")) for n in range(8)))
    async with session_factory(engine)() as session:
        count = (await session.execute(select(func.count()).select_from(ChatAddress))).scalar()
    assert count == 1
    assert (await book.lookup("teams", "aad-1")).conversation_id.startswith("a:")
