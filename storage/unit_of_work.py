"""The UnitOfWork port over SQL: one session, committed or rolled back as a whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports.unit_of_work import Stores
from storage.audit import SqlAuditStore
from storage.chat import SqlChatStore
from storage.database import bulk_cache, transaction
from storage.outbox import SqlOutboxStore
from storage.reports import SqlReportStore
from storage.repositories import SqlCaseStore


def sql_stores(session: AsyncSession) -> Stores:
    """Every repository on one session (one transaction)."""
    return Stores(
        cases=SqlCaseStore(session),
        outbox=SqlOutboxStore(session),
        chat=SqlChatStore(session),
        audit=SqlAuditStore(session),
        reports=SqlReportStore(session),
    )


class SqlUnitOfWork:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory
        engine = factory.kw["bind"]
        # Read-only work on SQLite starts a deferred transaction (see storage.database), so
        # answering a question never waits for, or holds up, the single writer.
        self.readonly_factory = async_sessionmaker(
            engine.execution_options(frister_readonly=True),
            class_=AsyncSession,
            expire_on_commit=False,
        )

    @asynccontextmanager
    async def __call__(self, readonly: bool = False, bulk: bool = False) -> AsyncIterator[Stores]:
        factory = self.readonly_factory if readonly else self.factory
        async with transaction(factory) as session:
            if bulk:
                await bulk_cache(await session.connection())
            yield sql_stores(session)
