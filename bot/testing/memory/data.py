"""The in-memory data behind the fake stores: rows as plain dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.audit import AuditRecord
from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from bot.domain.staff import StaffMember
from bot.ports.chat import ExtensionInfo, UnitInfo
from bot.ports.outbox import (
    CANCELLED,
    PENDING,
    StateEntry,
)

# ---- the data ---------------------------------------------------------------------------------


@dataclass
class Case:
    id: int
    code: str
    fingerprint: str | None
    enhet_id: int
    handlaggare_id: int | None
    origin: str
    opened_at: datetime


@dataclass
class Event:
    id: int
    case_id: int
    type: str
    date: date
    source: str
    registered_by: str | None


@dataclass
class Frist:
    id: int
    case_id: int
    rule_id: str
    trigger_event_id: int
    occurrence: int
    trigger_date: date
    calendar_last_day: date
    last_day: date
    status: Status
    closed_on: date | None
    closing_event_id: int | None
    created_at: datetime
    next_step_at: datetime | None
    extended_to: date | None = None
    extension_reason: str | None = None
    extension_decided_by: str | None = None
    extension_level: str | None = None
    acknowledged_on: date | None = None
    done_by: str | None = None


@dataclass
class Notification:
    id: int
    frist_id: int | None
    step: str
    recipient: str
    reason: str | None
    due_at: datetime
    next_attempt_at: datetime
    state: str
    late: bool
    payload: str | None
    attempts: int = 0
    uncertain: bool = False
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    channel: str | None = None
    message_ts: str | None = None
    sent_at: datetime | None = None
    possible_duplicate: bool = False
    last_error: str | None = None


@dataclass
class Data:
    """Everything the stores hold; one copy per unit of work."""

    units: dict[int, UnitInfo] = field(default_factory=dict)
    staff: dict[int, StaffMember] = field(default_factory=dict)
    cases: dict[int, Case] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    deadlines: dict[int, Frist] = field(default_factory=dict)
    notifications: dict[int, Notification] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    state: dict[str, StateEntry] = field(default_factory=dict)
    processed: dict[str, datetime] = field(default_factory=dict)
    extensions: list[ExtensionInfo] = field(default_factory=list)
    snapshots: dict[tuple[str, date], str] = field(default_factory=dict)  # report figures
    last_id: int = 0

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def unit_name(self, enhet_id: int | None) -> str | None:
        unit = self.units.get(enhet_id) if enhet_id is not None else None
        return unit.name if unit else None

    def person_by_chat_id(self, chat_user_id: str) -> StaffMember | None:
        return next((p for p in self.staff.values() if p.chat_user_id == chat_user_id), None)

    def replan_cases(self, case_ids: Iterable[int], now: datetime) -> None:
        wanted = set(case_ids)
        for frist in self.deadlines.values():
            if frist.case_id in wanted and frist.status is Status.OPEN:
                frist.next_step_at = now

    def replan_people(self, person_ids: Iterable[int], now: datetime) -> None:
        people = set(person_ids)
        self.replan_cases((c.id for c in self.cases.values() if c.handlaggare_id in people), now)

    def cancel_pending(self, frist_ids: Iterable[int]) -> None:
        wanted = set(frist_ids)
        for row in self.notifications.values():
            if row.frist_id in wanted and row.state == PENDING:
                row.state = CANCELLED

    def deadline(self, frist: Frist) -> Deadline:
        case = self.cases[frist.case_id]
        owner = self.staff.get(case.handlaggare_id) if case.handlaggare_id else None
        return Deadline(
            frist_id=frist.id,
            case_id=case.id,
            code=case.code,
            rule_id=frist.rule_id,
            trigger_date=frist.trigger_date,
            last_day=frist.last_day,
            status=frist.status,
            enhet_id=case.enhet_id,
            extended_to=frist.extended_to,
            closed_on=frist.closed_on,
            closed_by_hand=frist.status is not Status.OPEN and frist.closing_event_id is None,
            done_by=frist.done_by,
            handlaggare_id=case.handlaggare_id,
            handlaggare_chat=owner.chat_user_id if owner else None,
            created_at=frist.created_at,
            acknowledged_on=frist.acknowledged_on,
            extension_reason=frist.extension_reason,
            extension_level=frist.extension_level,
        )


# ---- the stores -------------------------------------------------------------------------------
