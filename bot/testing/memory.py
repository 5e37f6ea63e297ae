"""An in-memory implementation of the ports: the unit of work and its stores, over dicts.

`MemoryUnitOfWork` behaves like the SQL one where the services can tell: a block's changes are
kept when it ends without an error and discarded when it raises (each block works on a copy of
the data, which replaces the data on commit). Read-only blocks never commit. `MemoryMessenger`
stands in for a chat platform. Fast service tests
run the real use cases against it (tests/services/); the SQL behaviour itself (locking, skip
locked, ON CONFLICT) is tested against the databases.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.audit import GENESIS, AuditRecord, canonical, chain_hash
from bot.domain.deadline import Deadline
from bot.domain.deadlines import CaseEvent, DeadlineChanges, DerivedDeadline, Status, StoredDeadline
from bot.domain.messages import Message
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.audit import AuditEntry
from bot.ports.cases import CaseRecord, NewEvent
from bot.ports.chat import CaseInfo, Counts, EventInfo, UnitInfo
from bot.ports.messenger import DeliveryError, Messenger, PermanentFailure
from bot.ports.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    ChatAddress,
    Claimed,
    FailedNotification,
    NewNotification,
    NotificationDetail,
    OutboxStats,
    StateEntry,
    Unit,
)
from bot.ports.reports import ReportRow
from bot.ports.unit_of_work import Stores, UnitOfWork

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


class MemoryCaseStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    async def ensure_units(self, names: Iterable[str], now: datetime) -> dict[str, int]:
        by_name = {unit.name: unit.id for unit in self.data.units.values()}
        for name in sorted(set(names) - by_name.keys()):
            unit_id = self.data.next_id()
            self.data.units[unit_id] = UnitInfo(unit_id, name, None)
            by_name[name] = unit_id
        return {name: by_name[name] for name in names}

    async def ensure_staff(
        self, handles: Iterable[tuple[str, int]], now: datetime
    ) -> dict[str, int]:
        found: dict[str, int] = {}
        for handle, enhet_id in handles:
            is_email = "@" in handle
            person = next(
                (
                    p
                    for p in self.data.staff.values()
                    if (p.email if is_email else p.chat_user_id) == handle
                ),
                None,
            )
            if person is None:
                person = StaffMember(
                    id=self.data.next_id(),
                    role=Role.HANDLAGGARE,
                    email=handle if is_email else None,
                    chat_user_id=None if is_email else handle,
                    enhet_id=enhet_id,
                )
                self.data.staff[person.id or 0] = person
            found[handle] = person.id or 0
        return found

    async def upsert_staff(self, records: Sequence[StaffMember], now: datetime) -> int:
        units = await self.ensure_units({r.enhet for r in records if r.enhet}, now)
        changed: list[int] = []
        for record in records:
            current = next(
                (
                    p
                    for p in self.data.staff.values()
                    if (record.chat_user_id and p.chat_user_id == record.chat_user_id)
                    or (record.email and p.chat_user_id is None and p.email == record.email)
                ),
                None,
            )
            person_id = current.id if current and current.id else self.data.next_id()
            self.data.staff[person_id] = replace(
                record,
                id=person_id,
                email=record.email.lower() if record.email else None,
                enhet_id=units.get(record.enhet) if record.enhet else None,
                substitute_id=None,
                substitute_chat_id=None,
            )
            changed.append(person_id)
        for record, person_id in zip(records, changed, strict=True):
            wanted = record.substitute_chat_id
            substitute = self.data.person_by_chat_id(wanted) if wanted else None
            self.data.staff[person_id] = replace(
                self.data.staff[person_id], substitute_id=substitute.id if substitute else None
            )
        self.data.replan_people(changed, now)
        return len(records)

    async def set_escalation_channel(self, enhet: str, channel: str | None, now: datetime) -> None:
        unit_id = (await self.ensure_units([enhet], now))[enhet]
        self.data.units[unit_id] = replace(self.data.units[unit_id], escalation_channel=channel)

    @staticmethod
    def _record(case: Case) -> CaseRecord:
        return CaseRecord(case.id, case.code, case.fingerprint, case.enhet_id, case.handlaggare_id)

    async def cases_by_code(self, codes: Iterable[str]) -> dict[str, CaseRecord]:
        wanted = set(codes)
        return {c.code: self._record(c) for c in self.data.cases.values() if c.code in wanted}

    async def case_by_fingerprint(self, fingerprints: Iterable[str]) -> dict[str, CaseRecord]:
        wanted = set(fingerprints)
        return {
            c.fingerprint: self._record(c)
            for c in self.data.cases.values()
            if c.fingerprint is not None and c.fingerprint in wanted
        }

    async def add_case(
        self,
        code: str,
        fingerprint: str | None,
        enhet_id: int,
        handlaggare_id: int | None,
        origin: str,
        now: datetime,
    ) -> CaseRecord:
        case = Case(self.data.next_id(), code, fingerprint, enhet_id, handlaggare_id, origin, now)
        self.data.cases[case.id] = case
        return self._record(case)

    async def add_cases(
        self, cases: Sequence[tuple[str, str | None, int, int | None]], origin: str, now: datetime
    ) -> dict[str, CaseRecord]:
        return {
            code: await self.add_case(code, fingerprint, enhet_id, owner, origin, now)
            for code, fingerprint, enhet_id, owner in cases
        }

    async def assign_case(self, case_id: int, enhet_id: int, handlaggare_id: int | None) -> None:
        case = self.data.cases[case_id]
        case.enhet_id, case.handlaggare_id = enhet_id, handlaggare_id

    async def add_events(self, events: Sequence[NewEvent], now: datetime) -> list[NewEvent]:
        stored = {(e.case_id, e.type, e.date) for e in self.data.events.values()}
        fresh = list({(e.case_id, e.type, e.date): e for e in events}.values())
        fresh = [e for e in fresh if (e.case_id, e.type, e.date) not in stored]
        for e in fresh:
            event_id = self.data.next_id()
            self.data.events[event_id] = Event(
                event_id, e.case_id, e.type, e.date, e.source, e.registered_by
            )
        return fresh

    async def events_of(self, case_ids: Iterable[int]) -> dict[int, list[CaseEvent]]:
        wanted = set(case_ids)
        result: dict[int, list[CaseEvent]] = {}
        for e in self.data.events.values():
            if e.case_id in wanted:
                result.setdefault(e.case_id, []).append(CaseEvent(e.id, e.type, e.date))
        return result

    async def deadlines_of(self, case_ids: Iterable[int]) -> dict[int, list[StoredDeadline]]:
        wanted = set(case_ids)
        result: dict[int, list[StoredDeadline]] = {}
        for f in self.data.deadlines.values():
            if f.case_id in wanted:
                result.setdefault(f.case_id, []).append(
                    StoredDeadline(
                        id=f.id,
                        key=(f.rule_id, f.trigger_event_id, f.occurrence),
                        trigger_date=f.trigger_date,
                        calendar_last_day=f.calendar_last_day,
                        last_day=f.last_day,
                        status=f.status,
                        closed_on=f.closed_on,
                        closing_event_id=f.closing_event_id,
                    )
                )
        return result

    async def deadline_views(self, codes: Iterable[str] | None = None) -> list[Deadline]:
        wanted = set(codes) if codes is not None else None
        found = [
            self.data.deadline(f)
            for f in self.data.deadlines.values()
            if wanted is None or self.data.cases[f.case_id].code in wanted
        ]
        return sorted(found, key=lambda d: (d.last_day, d.code, d.rule_id))

    async def apply_deadline_changes(
        self, changes: dict[int, DeadlineChanges], now: datetime
    ) -> None:
        def write(frist: Frist, item: DerivedDeadline) -> None:
            frist.trigger_date, frist.calendar_last_day = item.trigger_date, item.calendar_last_day
            frist.last_day, frist.status, frist.closed_on = (
                item.last_day,
                item.status,
                item.closed_on,
            )
            frist.closing_event_id = item.closing_event_id
            frist.next_step_at = now if item.status is Status.OPEN else None

        closed: list[int] = []
        for case_id, change in changes.items():
            for item in change.insert:
                frist = Frist(
                    id=self.data.next_id(),
                    case_id=case_id,
                    rule_id=item.rule_id,
                    trigger_event_id=item.trigger_event_id,
                    occurrence=item.occurrence,
                    trigger_date=item.trigger_date,
                    calendar_last_day=item.calendar_last_day,
                    last_day=item.last_day,
                    status=item.status,
                    closed_on=item.closed_on,
                    closing_event_id=item.closing_event_id,
                    created_at=now,
                    next_step_at=now if item.status is Status.OPEN else None,
                )
                self.data.deadlines[frist.id] = frist
            for frist_id, item in change.update:
                write(self.data.deadlines[frist_id], item)
                if item.status is not Status.OPEN:
                    closed.append(frist_id)
            for frist_id in change.orphaned:
                frist = self.data.deadlines[frist_id]
                frist.status, frist.next_step_at = Status.CANCELLED, None
                closed.append(frist_id)
        self.data.cancel_pending(closed)


class MemoryOutboxStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    # ---- planning
    async def fristar_to_plan(self, now: datetime, limit: int) -> list[Deadline]:
        due = [
            f
            for f in self.data.deadlines.values()
            if f.status is Status.OPEN and f.next_step_at is not None and f.next_step_at <= now
        ]
        due.sort(key=lambda f: (f.next_step_at or now, f.id))
        return [self.data.deadline(f) for f in due[:limit]]

    async def staff_for(self, enhet_ids: Iterable[int]) -> list[StaffMember]:
        units = set(enhet_ids)
        found = {
            p.id: p
            for p in self.data.staff.values()
            if p.enhet_id in units or p.role is Role.SOCIALCHEF
        }
        for person in list(found.values()):
            if person.substitute_id is not None and person.substitute_id in self.data.staff:
                found.setdefault(person.substitute_id, self.data.staff[person.substitute_id])
        return [replace(p, enhet=self.data.unit_name(p.enhet_id)) for p in found.values()]

    async def escalation_channels(self, enhet_ids: Iterable[int]) -> dict[int, str | None]:
        return {
            unit_id: self.data.units[unit_id].escalation_channel
            for unit_id in set(enhet_ids)
            if unit_id in self.data.units
        }

    async def units(self) -> dict[int, Unit]:
        return {u.id: Unit(u.id, u.name, u.escalation_channel) for u in self.data.units.values()}

    async def planned_keys(self, frist_ids: Iterable[int]) -> set[tuple[int, str, str]]:
        wanted = set(frist_ids)
        return {
            (n.frist_id, n.step, n.recipient)
            for n in self.data.notifications.values()
            if n.frist_id is not None and n.frist_id in wanted
        }

    async def has_step(self, step: str) -> bool:
        return any(n.step == step for n in self.data.notifications.values())

    async def add_notifications(self, rows: Sequence[NewNotification], now: datetime) -> None:
        planned = {(n.frist_id, n.step, n.recipient) for n in self.data.notifications.values()}
        for row in rows:
            key = (row.frist_id, row.step, row.recipient)
            if key in planned:
                continue  # ON CONFLICT DO NOTHING
            planned.add(key)
            notification_id = self.data.next_id()
            self.data.notifications[notification_id] = Notification(
                id=notification_id,
                frist_id=row.frist_id,
                step=row.step,
                recipient=row.recipient,
                reason=row.reason,
                due_at=row.due_at,
                next_attempt_at=max(row.due_at, row.not_before or row.due_at),
                state=row.state,
                late=row.late,
                payload=row.payload,
            )

    async def set_next_steps(self, next_steps: dict[int, datetime | None]) -> None:
        for frist_id, at in next_steps.items():
            self.data.deadlines[frist_id].next_step_at = at

    # ---- delivery
    async def claim(
        self, now: datetime, worker: str, lease: timedelta, limit: int
    ) -> list[Claimed]:
        due = [
            n
            for n in self.data.notifications.values()
            if (n.state == PENDING and n.next_attempt_at <= now)
            or (n.state == SENDING and n.claimed_until is not None and n.claimed_until < now)
        ]
        due.sort(key=lambda n: (n.next_attempt_at, n.id))
        claimed = []
        for n in due[:limit]:
            n.state, n.claimed_by, n.claimed_until = SENDING, worker, now + lease
            n.attempts += 1
            frist = self.data.deadlines.get(n.frist_id) if n.frist_id is not None else None
            claimed.append(
                Claimed(
                    n.id,
                    n.frist_id,
                    n.step,
                    n.recipient,
                    n.reason,
                    n.due_at,
                    n.late,
                    n.attempts,
                    n.uncertain,
                    frist.status.value if frist else None,
                    n.payload,
                )
            )
        return claimed

    async def deadlines(self, frist_ids: Iterable[int]) -> dict[int, Deadline]:
        return {
            frist_id: self.data.deadline(self.data.deadlines[frist_id])
            for frist_id in set(frist_ids)
            if frist_id in self.data.deadlines
        }

    async def person_chat_ids(self, person_ids: Iterable[int]) -> dict[int, ChatAddress]:
        return {
            person_id: ChatAddress(person.chat_user_id, person.email)
            for person_id in set(person_ids)
            if (person := self.data.staff.get(person_id)) is not None
        }

    async def save_chat_id(self, person_id: int, chat_user_id: str) -> None:
        person = self.data.staff[person_id]
        self.data.staff[person_id] = replace(person, chat_user_id=chat_user_id)

    def _held(self, notification_id: int, worker: str) -> Notification | None:
        row = self.data.notifications.get(notification_id)
        if row is None or row.state != SENDING or row.claimed_by != worker:
            return None
        return row

    def _finish(self, notification_id: int, worker: str, state: str) -> Notification | None:
        row = self._held(notification_id, worker)
        if row is not None:
            row.state, row.claimed_by, row.claimed_until = state, None, None
        return row

    async def mark_posting(
        self, notification_ids: list[int], worker: str, until: datetime
    ) -> list[int]:
        for row in self.data.notifications.values():
            if row.state == SENDING and row.claimed_by == worker:
                row.claimed_until = until
        held = [i for i in notification_ids if self._held(i, worker) is not None]
        for notification_id in held:
            self.data.notifications[notification_id].uncertain = True
        return held

    async def mark_sent(
        self,
        notification_id: int,
        worker: str,
        channel: str,
        ts: str,
        now: datetime,
        possible_duplicate: bool,
    ) -> bool:
        row = self._finish(notification_id, worker, SENT)
        if row is None:
            return False
        row.channel, row.message_ts, row.sent_at = channel, ts, now
        row.possible_duplicate, row.last_error = possible_duplicate, None
        return True

    async def mark_retry(
        self,
        notification_id: int,
        worker: str,
        at: datetime,
        error: str,
        uncertain: bool,
        count_attempt: bool = True,
    ) -> bool:
        row = self._finish(notification_id, worker, PENDING)
        if row is None:
            return False
        row.next_attempt_at, row.last_error, row.uncertain = at, error[:200], uncertain
        if not count_attempt:
            row.attempts -= 1
        return True

    async def mark_failed(self, notification_id: int, worker: str, error: str) -> bool:
        row = self._finish(notification_id, worker, FAILED)
        if row is not None:
            row.last_error = error[:200]
        return row is not None

    async def mark_cancelled(self, notification_id: int, worker: str) -> bool:
        return self._finish(notification_id, worker, CANCELLED) is not None

    async def failure_channels(self, frist_id: int | None) -> list[str]:
        frist = self.data.deadlines.get(frist_id) if frist_id is not None else None
        if frist is None:
            return []
        unit = self.data.units.get(self.data.cases[frist.case_id].enhet_id)
        return [unit.escalation_channel] if unit and unit.escalation_channel else []

    async def notification_detail(self, notification_id: int) -> NotificationDetail:
        row = self.data.notifications.get(notification_id)
        if row is None:
            return NotificationDetail("?", "?")
        recipient = row.recipient
        kind, _sep, value = recipient.partition(":")
        if kind == "person" and value.isdigit() and int(value) in self.data.staff:
            person = self.data.staff[int(value)]
            recipient = person.chat_user_id or person.email or recipient
        return NotificationDetail(recipient, row.last_error or "?")

    # ---- status
    async def outbox_stats(self, now: datetime, stuck_after: timedelta) -> OutboxStats:
        counts: dict[str, int] = {}
        for row in self.data.notifications.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        waiting = [n for n in self.data.notifications.values() if n.state in (PENDING, SENDING)]
        oldest = min((n.next_attempt_at for n in waiting), default=None)
        stuck = sum(1 for n in waiting if n.next_attempt_at < now - stuck_after)
        return OutboxStats(counts, oldest, stuck)

    async def failed_notifications(self, limit: int = 50) -> list[FailedNotification]:
        failed = sorted(
            (n for n in self.data.notifications.values() if n.state == FAILED),
            key=lambda n: -n.id,
        )
        result = []
        for n in failed[:limit]:
            frist = self.data.deadlines.get(n.frist_id) if n.frist_id is not None else None
            code = self.data.cases[frist.case_id].code if frist else None
            result.append(
                FailedNotification(
                    n.id,
                    code,
                    frist.rule_id if frist else None,
                    n.recipient,
                    n.last_error,
                    n.attempts,
                )
            )
        return result

    async def set_state(self, key: str, value: str, now: datetime) -> None:
        self.data.state[key] = StateEntry(value, now)

    async def get_state(self, prefix: str) -> dict[str, StateEntry]:
        return {k: v for k, v in self.data.state.items() if k.startswith(prefix)}


class MemoryChatStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    def _named(self, person: StaffMember) -> StaffMember:
        return replace(person, enhet=self.data.unit_name(person.enhet_id))

    async def staff_by_chat_id(self, chat_user_id: str) -> StaffMember | None:
        person = self.data.person_by_chat_id(chat_user_id)
        return self._named(person) if person else None

    async def link_by_email(self, email: str, chat_user_id: str) -> bool:
        wanted = email.strip().lower()
        for person_id, person in self.data.staff.items():
            if person.chat_user_id is None and (person.email or "").lower() == wanted:
                self.data.staff[person_id] = replace(person, chat_user_id=chat_user_id)
                return True
        return False

    async def staff_by_ids(self, ids: Iterable[int]) -> dict[int, StaffMember]:
        return {i: self._named(self.data.staff[i]) for i in set(ids) if i in self.data.staff}

    async def standing_in_for(self, person_id: int, day: date) -> list[int]:
        return [
            p.id
            for p in self.data.staff.values()
            if p.id is not None and p.substitute_id == person_id and p.absent_on(day)
        ]

    async def deadline_items(
        self,
        *,
        handlaggare_ids: Iterable[int] | None = None,
        enhet_id: int | None = None,
        case_ids: Iterable[int] | None = None,
        frist_ids: Iterable[int] | None = None,
        open_only: bool = True,
        until: date | None = None,
    ) -> list[Deadline]:
        owners = set(handlaggare_ids) if handlaggare_ids is not None else None
        cases = set(case_ids) if case_ids is not None else None
        fristar = set(frist_ids) if frist_ids is not None else None
        items = [
            d
            for d in (self.data.deadline(f) for f in self.data.deadlines.values())
            if (not open_only or d.is_open)
            and (owners is None or d.handlaggare_id in owners)
            and (enhet_id is None or d.enhet_id == enhet_id)
            and (cases is None or d.case_id in cases)
            and (fristar is None or d.frist_id in fristar)
            and (until is None or d.effective_last_day <= until)
        ]
        return sorted(items, key=lambda d: (d.effective_last_day, d.code, d.rule_id, d.frist_id))

    async def case_info(self, code: str) -> CaseInfo | None:
        case = next((c for c in self.data.cases.values() if c.code == code), None)
        if case is None:
            return None
        owner = self.data.staff.get(case.handlaggare_id) if case.handlaggare_id else None
        return CaseInfo(
            case.id,
            case.code,
            case.enhet_id,
            self.data.unit_name(case.enhet_id) or "",
            case.handlaggare_id,
            owner.chat_user_id if owner else None,
            case.origin,
            case.opened_at,
        )

    async def case_events(self, case_id: int) -> list[EventInfo]:
        events = sorted(
            (e for e in self.data.events.values() if e.case_id == case_id),
            key=lambda e: (e.date, e.id),
        )
        return [EventInfo(e.type, e.date, e.source, e.registered_by) for e in events]

    async def close_by_hand(
        self, frist_id: int, status: str, day: date, by: str, now: datetime
    ) -> bool:
        frist = self.data.deadlines.get(frist_id)
        if frist is None or frist.status is not Status.OPEN:
            return False
        frist.status, frist.closed_on, frist.closing_event_id = Status(status), day, None
        frist.done_by, frist.next_step_at = by, None
        self.data.cancel_pending([frist_id])
        return True

    async def extend_deadline(
        self,
        frist_id: int,
        until: date,
        reason: str,
        decided_by: str,
        level: str,
        now: datetime,
    ) -> bool:
        frist = self.data.deadlines.get(frist_id)
        if frist is None or frist.status is not Status.OPEN:
            return False
        frist.extended_to, frist.extension_reason = until, reason[:500]
        frist.extension_decided_by, frist.extension_level = decided_by[:40], level
        frist.acknowledged_on, frist.next_step_at = None, now
        self.data.cancel_pending([frist_id])
        return True

    async def acknowledge(self, frist_id: int, day: date) -> None:
        self.data.deadlines[frist_id].acknowledged_on = day

    async def reassign_case(
        self, case_id: int, enhet_id: int, handlaggare_id: int, now: datetime
    ) -> None:
        case = self.data.cases[case_id]
        case.enhet_id, case.handlaggare_id = enhet_id, handlaggare_id
        self.data.replan_cases([case_id], now)

    async def set_absence(
        self,
        person_id: int,
        start: date | None,
        end: date | None,
        substitute_id: int | None,
        now: datetime,
    ) -> None:
        self.data.staff[person_id] = replace(
            self.data.staff[person_id],
            absent_from=start,
            absent_to=end,
            substitute_id=substitute_id,
        )
        self.data.replan_people([person_id], now)

    async def channel_unit(self, channel_id: str) -> int | None:
        return next((u.id for u in self.data.units.values() if channel_id in u.channels), None)

    async def link_channel(self, channel_id: str, enhet_id: int | None) -> None:
        for unit in list(self.data.units.values()):
            if channel_id in unit.channels:
                channels = tuple(c for c in unit.channels if c != channel_id)
                self.data.units[unit.id] = replace(unit, channels=channels)
        if enhet_id is not None:
            unit = self.data.units[enhet_id]
            channels = tuple(sorted((*unit.channels, channel_id)))
            self.data.units[enhet_id] = replace(unit, channels=channels)

    async def unit_list(self) -> list[UnitInfo]:
        return sorted(self.data.units.values(), key=lambda u: u.name)

    async def set_role(
        self, chat_user_id: str, role: str, enhet_id: int | None, now: datetime
    ) -> None:
        person = self.data.person_by_chat_id(chat_user_id)
        if person is None or person.id is None:
            person_id = self.data.next_id()
            self.data.staff[person_id] = StaffMember(
                id=person_id, chat_user_id=chat_user_id, role=Role(role), enhet_id=enhet_id
            )
            return
        self.data.staff[person.id] = replace(
            person, role=Role(role), enhet_id=enhet_id, active=True
        )
        self.data.replan_people([person.id], now)

    async def counts(self, enhet_id: int | None, today: date, since: date) -> Counts:
        items = await self.deadline_items(enhet_id=enhet_id, open_only=False)
        open_ = [d for d in items if d.is_open]
        done = [
            d
            for d in items
            if d.status is Status.DONE and d.closed_on is not None and d.closed_on >= since
        ]
        return Counts(
            open=len(open_),
            overdue=sum(1 for d in open_ if d.effective_last_day < today),
            extended=sum(1 for d in open_ if d.extended_to is not None),
            done=len(done),
            done_late=sum(1 for d in done if d.closed_on and d.closed_on > d.effective_last_day),
        )

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        processed = self.data.processed
        for old in [k for k, at in processed.items() if at < now - keep]:
            del processed[old]
        if key[:80] in processed:
            return False
        processed[key[:80]] = now
        return True


class MemoryAuditStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    async def append(
        self,
        actor: str,
        action: str,
        code: str | None,
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        await self.append_many([(actor, action, code, detail or {})], now)

    async def append_many(self, entries: Sequence[AuditEntry], now: datetime) -> None:
        seq, prev = await self.head()
        for actor, action, code, detail in entries:
            seq += 1
            stored = json.loads(json.dumps(detail, sort_keys=True, ensure_ascii=False))
            digest = chain_hash(prev, canonical(seq, now, actor, action, code, stored))
            self.data.audit.append(AuditRecord(seq, now, actor, action, code, stored, prev, digest))
            prev = digest

    async def records(self, batch: int = 5000) -> AsyncIterator[AuditRecord]:
        for record in list(self.data.audit):
            yield record

    async def head(self) -> tuple[int, str]:
        last = self.data.audit[-1] if self.data.audit else None
        return (last.seq, last.hash) if last else (0, GENESIS)

    async def count(self) -> int:
        return len(self.data.audit)


class MemoryReportStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    def _cases_of(self, enhet: str | None) -> list[Case]:
        return [
            c
            for c in self.data.cases.values()
            if enhet is None or self.data.unit_name(c.enhet_id) == enhet
        ]

    async def report_rows(self, enhet: str | None = None) -> list[ReportRow]:
        cases = {c.id: c for c in self._cases_of(enhet)}
        rows = []
        for f in self.data.deadlines.values():
            case = cases.get(f.case_id)
            if case is None:
                continue
            owner = self.data.staff.get(case.handlaggare_id) if case.handlaggare_id else None
            rows.append(
                ReportRow(
                    self.data.unit_name(case.enhet_id) or "",
                    case.code,
                    f.rule_id,
                    f.trigger_date,
                    f.last_day,
                    f.extended_to,
                    f.status.value,
                    f.closed_on,
                    (owner.chat_user_id or owner.email) if owner else None,
                )
            )
        return rows

    async def investigation_events(self, enhet: str | None = None) -> dict[str, list[CaseEvent]]:
        kinds = ("utredning_inledd", "utredning_avslutad", "utredning_nedlagd")
        cases = {c.id: c for c in self._cases_of(enhet)}
        result: dict[str, list[CaseEvent]] = {}
        for e in self.data.events.values():
            if e.case_id in cases and e.type in kinds:
                result.setdefault(cases[e.case_id].code, []).append(CaseEvent(e.id, e.type, e.date))
        return result

    async def unit_names(self) -> list[str]:
        return sorted(u.name for u in self.data.units.values())

    async def intake_by_unit(self, since: date) -> dict[int, dict[date, int]]:
        result: dict[int, dict[date, int]] = {}
        for e in self.data.events.values():
            if e.type == "anmalan_inkom" and e.date >= since:
                per_day = result.setdefault(self.data.cases[e.case_id].enhet_id, {})
                per_day[e.date] = per_day.get(e.date, 0) + 1
        return result

    async def last_intake(self) -> dict[int, date]:
        result: dict[int, date] = {}
        for e in self.data.events.values():
            if e.type == "anmalan_inkom":
                enhet_id = self.data.cases[e.case_id].enhet_id
                result[enhet_id] = max(e.date, result.get(enhet_id, e.date))
        return result


# ---- the unit of work -------------------------------------------------------------------------


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
    async def __call__(self, readonly: bool = False) -> AsyncIterator[Stores]:
        working = copy.deepcopy(self.data)
        yield memory_stores(working)
        if not readonly:  # reached only when the block did not raise
            self.data = working
            self.commits += 1


# ---- a chat platform --------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    channel: str
    message: Message


class MemoryMessenger:
    """The Messenger port in memory: records posts; `fail_next` makes the next posts raise."""

    def __init__(self, users_by_email: dict[str, str] | None = None) -> None:
        self.posted: list[Posted] = []
        self.users_by_email = users_by_email or {}
        self.failures: list[DeliveryError] = []

    def fail_next(self, *errors: DeliveryError) -> None:
        self.failures.extend(errors)

    async def open_direct(self, user_id: str) -> str:
        return f"D-{user_id}"

    async def post(self, channel: str, message: Message) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append(Posted(channel, message))
        return f"{len(self.posted)}.000"

    async def user_by_email(self, email: str) -> str:
        if email not in self.users_by_email:
            raise PermanentFailure("users_not_found")
        return self.users_by_email[email]


if TYPE_CHECKING:  # the fakes implement the ports (checked by mypy)
    _unit_of_work: UnitOfWork = MemoryUnitOfWork()
    _messenger: Messenger = MemoryMessenger()
