"""The unit of work: one transaction, with a named store for each part of the data."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.ports.audit import AuditStore
from bot.ports.cases import CaseStore
from bot.ports.chat import ChatStore
from bot.ports.outbox import OutboxStore
from bot.ports.reports import ReportStore


@dataclass(frozen=True)
class Stores:
    """Every store of one transaction: `uow.cases`, `uow.outbox`, `uow.chat`, `uow.audit`,
    `uow.reports`. Committed together when the unit of work ends without an error."""

    cases: CaseStore
    outbox: OutboxStore
    chat: ChatStore
    audit: AuditStore
    reports: ReportStore


class UnitOfWork(Protocol):
    def __call__(
        self, readonly: bool = False, bulk: bool = False
    ) -> AbstractAsyncContextManager[Stores]:
        """One transaction; `readonly` work must not write (it may run beside a writer);
        `bulk` work writes many rows (an import), which the storage may give more memory."""
        ...
