"""The CaseStore port's transaction boundary: one session, committed or rolled back as a whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import SqlAuditStore
from storage.chat import SqlChatStore
from storage.database import transaction
from storage.outbox import SqlOutboxStore
from storage.reports import SqlReportStore
from storage.repositories import SqlCaseStore


class SqlStore(SqlCaseStore, SqlOutboxStore, SqlAuditStore, SqlReportStore, SqlChatStore):
    """Every repository on one session (one transaction)."""


class SqlUnitOfWork:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlStore]:
        async with transaction(self.factory) as session:
            yield SqlStore(session)
