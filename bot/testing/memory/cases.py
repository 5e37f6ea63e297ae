"""CaseStore over the in-memory data."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from bot.domain.deadline import Deadline
from bot.domain.deadlines import CaseEvent, DeadlineChanges, DerivedDeadline, Status, StoredDeadline
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.cases import CaseRecord, NewEvent
from bot.ports.chat import UnitInfo
from bot.testing.memory.data import Case, Data, Event, Frist


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
    ) -> dict[str, int]:
        return {
            code: (await self.add_case(code, fingerprint, enhet_id, owner, origin, now)).id
            for code, fingerprint, enhet_id, owner in cases
        }

    async def assign_case(self, case_id: int, enhet_id: int, handlaggare_id: int | None) -> None:
        case = self.data.cases[case_id]
        case.enhet_id, case.handlaggare_id = enhet_id, handlaggare_id

    async def add_events(
        self, events: Sequence[NewEvent], now: datetime, new_cases: Collection[int] = ()
    ) -> list[NewEvent]:
        stored = {(e.case_id, e.type, e.date) for e in self.data.events.values()}
        unstored = list({(e.case_id, e.type, e.date): e for e in events}.values())
        fresh = []
        for e in unstored:
            if (e.case_id, e.type, e.date) in stored:
                continue
            event_id = self.data.next_id()
            self.data.events[event_id] = Event(
                event_id, e.case_id, e.type, e.date, e.source, e.registered_by
            )
            fresh.append(replace(e, id=event_id))
        return fresh

    async def event_keys(self, case_ids: Iterable[int]) -> set[tuple[int, str, date]]:
        wanted = set(case_ids)
        return {
            (e.case_id, e.type, e.date) for e in self.data.events.values() if e.case_id in wanted
        }

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
