"""OutboxStore over the in-memory data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    ChatAddress,
    Claimed,
    DueDeadline,
    FailedNotification,
    NewNotification,
    NotificationDetail,
    OutboxStats,
    StateEntry,
    Unit,
)
from bot.testing.memory.data import Data, Notification


class MemoryOutboxStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    # ---- planning
    async def fristar_to_plan(self, now: datetime, limit: int) -> list[DueDeadline]:
        due = [
            f
            for f in self.data.deadlines.values()
            if f.status is Status.OPEN and f.next_step_at is not None and f.next_step_at <= now
        ]
        due.sort(key=lambda f: (f.next_step_at or now, f.id))
        planned: dict[int, set[str]] = {}
        for n in self.data.notifications.values():
            if n.frist_id is not None:
                planned.setdefault(n.frist_id, set()).add(n.step)
        found = []
        for f in due[:limit]:
            case = self.data.cases[f.case_id]
            found.append(
                DueDeadline(
                    f.id,
                    f.rule_id,
                    f.extended_to or f.last_day,
                    case.enhet_id,
                    case.handlaggare_id,
                    f.created_at,
                    f.acknowledged_on,
                    frozenset(planned.get(f.id, ())),
                )
            )
        return found

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
