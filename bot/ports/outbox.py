"""Types shared by planning and delivery, and the store port they use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple, Protocol

from bot.domain.deadline import Deadline
from bot.domain.staff import StaffMember

SENDING = "sending"
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SUPERSEDED = "superseded"
QUIETED = "quieted"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    escalation_channel: str | None


@dataclass(frozen=True)
class ChatAddress:
    """How to reach a person: their chat user id, else their e-mail (looked up once)."""

    chat_user_id: str | None
    email: str | None


@dataclass(frozen=True)
class NotificationDetail:
    """Who a notification was for (chat id or e-mail of a person, or the address) and its
    last error, as a failure report names them."""

    recipient: str
    error: str


@dataclass(frozen=True)
class FailedNotification:
    id: int
    code: str | None  # the case, for a deadline's notification
    rule_id: str | None
    recipient: str
    error: str | None
    attempts: int


@dataclass(frozen=True)
class StateEntry:
    """A runtime value (the planner's last tick, the last import) and when it was set."""

    value: str
    updated_at: datetime


class DueDeadline(NamedTuple):
    """What the planner reads of an open deadline whose next ladder step is due: a plain
    tuple, cheap to build by the thousand."""

    frist_id: int
    rule_id: str
    last_day: date  # the effective last day: the extended one if there is one
    enhet_id: int
    handlaggare_id: int | None
    created_at: datetime | None
    acknowledged_on: date | None
    planned: frozenset[str]  # the step keys of every outbox row already planned for it


class NewNotification(NamedTuple):
    """An outbox row to plan (a plain tuple: a busy tick builds thousands)."""

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
    """The outbox and what planning and delivery read beside it, in one transaction."""

    # ---- planning
    async def fristar_to_plan(self, now: datetime, limit: int) -> list[DueDeadline]:
        """Open deadlines whose next ladder step is due, the earliest first, with the steps
        already planned for each."""
        ...

    async def staff_for(self, enhet_ids: Iterable[int]) -> list[StaffMember]:
        """Staff of these units, every socialchef, and their substitutes."""
        ...

    async def escalation_channels(self, enhet_ids: Iterable[int]) -> dict[int, str | None]: ...

    async def units(self) -> dict[int, Unit]: ...

    async def has_step(self, step: str) -> bool:
        """Whether any row has this step key (alarms and reports without a deadline)."""
        ...

    async def add_notifications(self, rows: Sequence[NewNotification], now: datetime) -> None:
        """Insert rows; a (deadline, step, recipient) already planned is left alone."""
        ...

    async def set_next_steps(self, next_steps: dict[int, datetime | None]) -> None: ...

    # ---- delivery
    async def claim(
        self, now: datetime, worker: str, lease: timedelta, limit: int
    ) -> list[Claimed]: ...

    async def deadlines(self, frist_ids: Iterable[int]) -> dict[int, Deadline]:
        """The deadlines of claimed rows, read when they are sent (so edits show)."""
        ...

    async def person_chat_ids(self, person_ids: Iterable[int]) -> dict[int, ChatAddress]: ...

    async def save_chat_id(self, person_id: int, chat_user_id: str) -> None: ...

    async def mark_posting(
        self, notification_ids: list[int], worker: str, until: datetime
    ) -> list[int]:
        """Flag rows `uncertain` just before posting; returns those this worker still holds."""
        ...

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

    async def mark_failed(self, notification_id: int, worker: str, error: str) -> bool: ...

    async def mark_cancelled(self, notification_id: int, worker: str) -> bool: ...

    async def failure_channels(self, frist_id: int | None) -> list[str]:
        """Where to report a failed delivery: the deadline's enhet's escalation channel."""
        ...

    async def notification_detail(self, notification_id: int) -> NotificationDetail: ...

    # ---- status
    async def outbox_stats(self, now: datetime, stuck_after: timedelta) -> OutboxStats: ...

    async def failed_notifications(self, limit: int = 50) -> list[FailedNotification]: ...

    async def set_state(self, key: str, value: str, now: datetime) -> None: ...

    async def get_state(self, prefix: str) -> dict[str, StateEntry]: ...
