"""Types the chat service reads, and the store port it uses (storage/chat.py implements it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.domain.deadline import Deadline
from bot.domain.staff import StaffMember

# The chat code's names for the shared domain types.
StaffInfo = StaffMember
DeadlineItem = Deadline


@dataclass(frozen=True)
class CaseInfo:
    id: int
    code: str
    enhet_id: int
    enhet: str
    handlaggare_id: int | None
    handlaggare_chat: str | None
    origin: str
    opened_at: datetime


@dataclass(frozen=True)
class EventInfo:
    type: str
    date: date
    source: str
    registered_by: str | None


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    escalation_channel: str | None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    """A simple count summary of one enhet (or all) for `statistik` and `team`."""

    open: int = 0
    overdue: int = 0
    extended: int = 0
    done: int = 0  # closed as done since the given day
    done_late: int = 0  # of which after their last day


@dataclass(frozen=True)
class RuleCounts:
    """Counts of one rule in one enhet (the socialchef's breakdown)."""

    enhet_id: int
    rule_id: str
    counts: Counts


@dataclass(frozen=True)
class ExtensionInfo:
    """One decided extension of a deadline, as the case history shows it."""

    frist_id: int
    rule_id: str
    from_day: date
    to_day: date
    reason: str
    decided_by: str | None
    level: str | None
    at: datetime


class ChatStore(Protocol):
    async def staff_by_chat_id(self, chat_user_id: str) -> StaffInfo | None: ...

    async def link_by_email(self, email: str, chat_user_id: str) -> bool:
        """Give the person known only by `email` (no chat id yet) this chat id; False when
        there is no such person."""
        ...

    async def staff_by_ids(self, ids: Iterable[int]) -> dict[int, StaffInfo]: ...

    async def standing_in_for(self, person_id: int, day: date) -> list[int]: ...

    async def staff_in(self, enhet_id: int | None) -> list[StaffInfo]:
        """Active staff of the enhet (every enhet when None)."""
        ...

    async def deadline_items(
        self,
        *,
        handlaggare_ids: Iterable[int] | None = None,
        enhet_id: int | None = None,
        case_ids: Iterable[int] | None = None,
        frist_ids: Iterable[int] | None = None,
        open_only: bool = True,
        until: date | None = None,
    ) -> list[DeadlineItem]: ...

    async def open_after(self, handlaggare_ids: Iterable[int], day: date) -> int:
        """How many open deadlines of these handläggare's cases end after `day`."""
        ...

    async def open_per_owner(
        self, enhet_id: int | None, today: date
    ) -> list[tuple[int | None, int, int]]:
        """(handläggare id or None, open, of which overdue on `today`) of the enhet's open
        deadlines (every enhet when None), the one with the nearest last day first."""
        ...

    async def case_info(self, code: str) -> CaseInfo | None: ...

    async def case_events(self, case_id: int) -> list[EventInfo]: ...

    async def close_by_hand(
        self, frist_id: int, status: str, day: date, by: str, now: datetime
    ) -> bool: ...

    async def reopen(self, frist_id: int, now: datetime) -> bool:
        """Undo a deadline closed by hand (not by an event): it is open and planned again."""
        ...

    async def extensions(self, case_id: int) -> list[ExtensionInfo]:
        """Every extension decided for the case's deadlines, oldest first."""
        ...

    async def extend_deadline(
        self,
        frist_id: int,
        until: date,
        reason: str,
        decided_by: str,
        level: str,
        now: datetime,
    ) -> bool: ...

    async def acknowledge(self, frist_id: int, day: date) -> None: ...

    async def reassign_case(
        self, case_id: int, enhet_id: int, handlaggare_id: int, now: datetime
    ) -> None: ...

    async def set_absence(
        self,
        person_id: int,
        start: date | None,
        end: date | None,
        substitute_id: int | None,
        now: datetime,
    ) -> None: ...

    async def channel_unit(self, channel_id: str) -> int | None: ...

    async def link_channel(self, channel_id: str, enhet_id: int | None) -> None: ...

    async def unit_list(self) -> list[UnitInfo]: ...

    async def set_role(
        self, chat_user_id: str, role: str, enhet_id: int | None, now: datetime
    ) -> None: ...

    async def counts(self, enhet_id: int | None, today: date, since: date) -> Counts: ...

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        """Remember `key`; False when it was remembered within `keep` (a retry or a replay).
        Older keys are not deleted here (`forget_requests`, once per planning tick)."""
        ...

    async def forget_requests(self, before: datetime) -> None:
        """Forget the request keys remembered before `before`."""
        ...

    async def breakdown(self, enhet_id: int | None, today: date, since: date) -> list[RuleCounts]:
        """`counts` per enhet and rule."""
        ...
