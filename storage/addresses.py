"""The AddressBook port over SQL: one row per (platform, key), replaced on every sighting."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports.addresses import Address
from storage.database import transaction
from storage.models import ChatAddress

REPLACED = ("conversation_id", "service_url", "tenant_id", "updated_at")


class SqlAddressBook:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory

    async def remember(self, address: Address) -> None:
        """Insert or update in one statement, so two replicas seeing the same person at once
        cannot collide on the unique (platform, key)."""
        values = {
            "platform": address.platform,
            "key": address.key,
            "conversation_id": address.conversation_id,
            "service_url": address.service_url,
            "tenant_id": address.tenant_id,
            "updated_at": address.updated_at,
            "name": address.name,
        }
        async with transaction(self.factory) as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            statement = insert(ChatAddress).values(**values)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["platform", "key"],
                    set_={
                        **{
                            name: statement.excluded[name]
                            for name in (
                                "conversation_id",
                                "service_url",
                                "tenant_id",
                                "updated_at",
                            )
                        },
                        # a sighting without a name keeps the name seen before
                        "name": func.coalesce(statement.excluded["name"], ChatAddress.name),
                    },
                )
            )

    async def lookup(self, platform: str, key: str) -> Address | None:
        async with transaction(self.factory) as session:
            row = (
                await session.execute(
                    select(ChatAddress).where(
                        ChatAddress.platform == platform, ChatAddress.key == key
                    )
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        return Address(
            platform=row.platform,
            key=row.key,
            conversation_id=row.conversation_id,
            service_url=row.service_url,
            tenant_id=row.tenant_id,
            updated_at=row.updated_at,
            name=row.name,
        )
