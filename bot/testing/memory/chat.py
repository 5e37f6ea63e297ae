"""ChatStore over the in-memory data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.chat import CaseInfo, Counts, EventInfo, ExtensionInfo, RuleCounts, UnitInfo
from bot.testing.memory.data import Data


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

    async def staff_in(self, enhet_id: int | None) -> list[StaffMember]:
        return [
            self._named(p)
            for p in sorted(self.data.staff.values(), key=lambda p: p.id or 0)
            if p.active and (enhet_id is None or p.enhet_id == enhet_id)
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

    async def reopen(self, frist_id: int, now: datetime) -> bool:
        frist = self.data.deadlines.get(frist_id)
        if frist is None or frist.status is Status.OPEN or frist.closing_event_id is not None:
            return False
        frist.status, frist.closed_on, frist.done_by = Status.OPEN, None, None
        frist.next_step_at = now
        return True

    async def extensions(self, case_id: int) -> list[ExtensionInfo]:
        return [
            e
            for e in self.data.extensions
            if (f := self.data.deadlines.get(e.frist_id)) is not None and f.case_id == case_id
        ]

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
        self.data.extensions.append(
            ExtensionInfo(
                frist_id,
                frist.rule_id,
                frist.extended_to or frist.last_day,
                until,
                reason[:500],
                decided_by[:40] or None,
                level,
                now,
            )
        )
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

    async def open_after(self, handlaggare_ids: Iterable[int], day: date) -> int:
        items = await self.deadline_items(handlaggare_ids=handlaggare_ids)
        return sum(1 for item in items if item.effective_last_day > day)

    async def open_per_owner(
        self, enhet_id: int | None, today: date
    ) -> list[tuple[int | None, int, int]]:
        found: dict[int | None, list[int]] = {}
        first: dict[int | None, date] = {}
        for item in await self.deadline_items(enhet_id=enhet_id):
            day = item.effective_last_day
            counts = found.setdefault(item.handlaggare_id, [0, 0])
            counts[0] += 1
            counts[1] += day < today
            first[item.handlaggare_id] = min(first.get(item.handlaggare_id, day), day)
        order = sorted(found, key=lambda p: (first[p], p is None, p or 0))
        return [(p, found[p][0], found[p][1]) for p in order]

    async def counts(self, enhet_id: int | None, today: date, since: date) -> Counts:
        return _counts(await self.deadline_items(enhet_id=enhet_id, open_only=False), today, since)

    async def breakdown(self, enhet_id: int | None, today: date, since: date) -> list[RuleCounts]:
        keys = sorted(
            {
                (d.enhet_id, d.rule_id)
                for d in await self.deadline_items(enhet_id=enhet_id, open_only=False)
            }
        )
        found = []
        for unit, rule in keys:
            items = [
                d
                for d in await self.deadline_items(enhet_id=unit, open_only=False)
                if d.rule_id == rule
            ]
            counts = _counts(items, today, since)
            if counts.open or counts.done:
                found.append(RuleCounts(unit, rule, counts))
        return found

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        processed = self.data.processed
        seen = processed.get(key[:80])
        if seen is not None and seen >= now - keep:
            return False
        processed[key[:80]] = now
        return True

    async def forget_requests(self, before: datetime) -> None:
        processed = self.data.processed
        for old in [k for k, at in processed.items() if at < before]:
            del processed[old]


def _counts(items: list[Deadline], today: date, since: date) -> Counts:
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
