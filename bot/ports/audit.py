"""The audit trail port: an append-only, hash-chained log (storage/audit.py implements it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain.audit import AuditRecord

AuditEntry = tuple[str, str, str | None, dict[str, Any]]  # actor, action, case code, detail


class AuditStore(Protocol):
    async def append(
        self,
        actor: str,
        action: str,
        code: str | None,
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Append one entry (never personal data or free text in `detail`)."""
        ...

    async def append_many(self, entries: Sequence[AuditEntry], now: datetime) -> None: ...

    def records(self, batch: int = 5000) -> AsyncIterator[AuditRecord]:
        """Every entry in sequence order."""
        ...

    async def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash (0 and the genesis hash when empty)."""
        ...

    async def count(self) -> int: ...
