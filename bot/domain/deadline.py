"""A deadline as people, lists, notices and the planner see it: one case's rule and its days.

Every query fills the identifying fields and the dates; the rest have defaults and are filled
by the queries that need them (the chat lists: who closed it and why it was extended; the
planner: when it was created and acknowledged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.deadlines import Status


@dataclass(frozen=True, kw_only=True)
class Deadline:
    frist_id: int
    case_id: int
    code: str  # the case's code
    rule_id: str
    trigger_date: date
    last_day: date
    status: Status
    enhet_id: int
    extended_to: date | None = None
    closed_on: date | None = None
    closed_by_hand: bool = False  # marked done or cancelled in chat, not by an event
    done_by: str | None = None
    handlaggare_id: int | None = None
    handlaggare_chat: str | None = None  # the handläggare's chat user id
    created_at: datetime | None = None
    acknowledged_on: date | None = None
    extension_reason: str | None = None
    extension_level: str | None = None

    @property
    def effective_last_day(self) -> date:
        """The extended last day if there is one, else the legal last day."""
        return self.extended_to or self.last_day

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN
