"""The in-memory unit of work: each block on a copy, kept on success."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.testing.memory.audit_reports import MemoryAuditStore, MemoryReportStore
from bot.testing.memory.cases import MemoryCaseStore
from bot.testing.memory.chat import MemoryChatStore
from bot.testing.memory.data import Data
from bot.testing.memory.outbox import MemoryOutboxStore


def memory_stores(data: Data) -> Stores:
    return Stores(
        cases=MemoryCaseStore(data),
        outbox=MemoryOutboxStore(data),
        chat=MemoryChatStore(data),
        audit=MemoryAuditStore(data),
        reports=MemoryReportStore(data),
    )


class MemoryUnitOfWork:
    """The UnitOfWork port in memory: `data` is what has been committed."""

    def __init__(self, data: Data | None = None) -> None:
        self.data = data or Data()
        self.commits = 0

    @asynccontextmanager
    async def __call__(self, readonly: bool = False, bulk: bool = False) -> AsyncIterator[Stores]:
        working = copy.deepcopy(self.data)
        yield memory_stores(working)
        if not readonly:  # reached only when the block did not raise
            self.data = working
            self.commits += 1


if TYPE_CHECKING:  # the fake implements the port (checked by mypy)
    _unit_of_work: UnitOfWork = MemoryUnitOfWork()
