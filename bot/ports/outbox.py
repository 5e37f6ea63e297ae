"""Types shared by planning and delivery, and the store port they use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.domain.recipients import StaffMember

SENDING = "sending"
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SUPERSEDED = "superseded"
QUIETED = "quieted"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class PlanningItem:
    frist_id: int
    rule_id: str
    last_day: date
    extended_to: date | None
    created_at: datetime
    acknowledged_on: date | None
    code: str
    enhet_id: int
    handlaggare_id: int | None

    @property
    def effective_last_day(self) -> date:
        return self.extended_to or self.last_day


@dataclass(frozen=True)
class NoticeContext:
    """What a notice says about its deadline (read when it is sent, so edits show)."""

    code: str
    rule_id: str
    trigger_date: date
    last_day: date
    extended_to: date | None
    status: str

    @property
    def effective_last_day(self) -> date:
        return self.extended_to or self.last_day


@dataclass(frozen=True)
class NewNotification:
    frist_id: int | None
    step: str
    recipient: str
    due_at: datetime
    state: str = PENDING
    late: bool = False
    reason: str | None = None
    not_before: datetime | None = None  # first moment inside the sending window
    payload: str | None = None  # a ready message (JSON) for alarms that are not deadlines


@dataclass(frozen=True)
class Claimed:
    id: int
    frist_id: int | None
    step: str
    recipient: str
    reason: str | None
    due_at: datetime
    late: bool
    attempts: int
    uncertain: bool
    frist_status: str | None
    payload: str | None = None


@dataclass(frozen=True)
class OutboxStats:
    counts: dict[str, int]
    oldest_due: datetime | None
    stuck: int

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)


class OutboxStore(Protocol):
    async def fristar_to_plan(self, now: datetime, limit: int) -> list[PlanningItem]: ...
    async def staff_for(self, enhet_ids: Iterable[int]) -> list[StaffMember]: ...
    async def escalation_channels(self, enhet_ids: Iterable[int]) -> dict[int, str | None]: ...
    async def planned_keys(self, frist_ids: Iterable[int]) -> set[tuple[int, str, str]]: ...
    async def add_notifications(self, rows: Sequence[NewNotification], now: datetime) -> None: ...
    async def set_next_steps(self, next_steps: dict[int, datetime | None]) -> None: ...
    async def claim(
        self, now: datetime, worker: str, lease: timedelta, limit: int
    ) -> list[Claimed]: ...
    async def mark_sent(
        self,
        notification_id: int,
        worker: str,
        channel: str,
        ts: str,
        now: datetime,
        possible_duplicate: bool,
    ) -> bool: ...
    async def mark_retry(
        self,
        notification_id: int,
        worker: str,
        at: datetime,
        error: str,
        uncertain: bool,
        count_attempt: bool = True,
    ) -> bool: ...
    async def mark_posting(
        self, notification_ids: list[int], worker: str, until: datetime
    ) -> list[int]: ...
    async def mark_failed(self, notification_id: int, worker: str, error: str) -> bool: ...
    async def mark_cancelled(self, notification_id: int, worker: str) -> bool: ...
    async def person_chat_ids(
        self, person_ids: Iterable[int]
    ) -> dict[int, tuple[str | None, str | None]]: ...
    async def save_chat_id(self, person_id: int, chat_user_id: str) -> None: ...
    async def outbox_stats(self, now: datetime, stuck_after: timedelta) -> OutboxStats: ...
    async def failed_notifications(self, limit: int = 50) -> list[tuple]: ...
    async def set_state(self, key: str, value: str, now: datetime) -> None: ...
    async def get_state(self, prefix: str) -> dict[str, tuple[str, datetime]]: ...
