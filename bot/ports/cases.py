"""The case store port: cases, events, deadlines and staff (storage/repositories.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from bot.domain.deadline import Deadline
from bot.domain.deadlines import CaseEvent, DeadlineChanges, StoredDeadline
from bot.domain.staff import StaffMember


@dataclass(frozen=True, slots=True)  # an import may hold one per case of its file
class CaseRecord:
    id: int
    code: str
    fingerprint: str | None
    enhet_id: int
    handlaggare_id: int | None


@dataclass(frozen=True)
class NewEvent:
    case_id: int
    type: str
    date: date
    source: str
    registered_by: str | None = None
    id: int | None = field(default=None, compare=False)  # set by `add_events` once stored


class CaseStore(Protocol):
    """Cases, events and deadlines, all inside one transaction."""

    async def ensure_units(self, names: Iterable[str], now: datetime) -> dict[str, int]: ...

    async def ensure_staff(
        self, handles: Iterable[tuple[str, int]], now: datetime
    ) -> dict[str, int]: ...

    async def upsert_staff(self, records: Sequence[StaffMember], now: datetime) -> int:
        """Create or update staff by chat user id (substitutes by `substitute_chat_id`)."""
        ...

    async def set_escalation_channel(
        self, enhet: str, channel: str | None, now: datetime
    ) -> None: ...

    async def cases_by_code(self, codes: Iterable[str]) -> dict[str, CaseRecord]: ...

    async def case_by_fingerprint(self, fingerprints: Iterable[str]) -> dict[str, CaseRecord]: ...

    async def add_case(
        self,
        code: str,
        fingerprint: str | None,
        enhet_id: int,
        handlaggare_id: int | None,
        origin: str,
        now: datetime,
    ) -> CaseRecord: ...

    async def add_cases(
        self, cases: Sequence[tuple[str, str | None, int, int | None]], origin: str, now: datetime
    ) -> dict[str, int]:
        """Add many cases (code, fingerprint, enhet, handläggare); their ids by code."""
        ...

    async def assign_case(
        self, case_id: int, enhet_id: int, handlaggare_id: int | None
    ) -> None: ...

    async def add_events(
        self, events: Sequence[NewEvent], now: datetime, new_cases: Collection[int] = ()
    ) -> list[NewEvent]:
        """Store the events not stored yet (same case, type and date); the new ones, with their
        ids. `new_cases` were added in this transaction: none of their events is looked up."""
        ...

    async def event_keys(self, case_ids: Iterable[int]) -> set[tuple[int, str, date]]:
        """(case, type, date) of every event stored for `case_ids`."""
        ...

    async def events_of(self, case_ids: Iterable[int]) -> dict[int, list[CaseEvent]]: ...

    async def deadlines_of(self, case_ids: Iterable[int]) -> dict[int, list[StoredDeadline]]: ...

    async def deadline_views(self, codes: Iterable[str] | None = None) -> list[Deadline]:
        """Deadlines with their case codes, nearest last day first."""
        ...

    async def apply_deadline_changes(
        self, changes: dict[int, DeadlineChanges], now: datetime
    ) -> None: ...
