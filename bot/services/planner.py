"""Planning tick: turn due ladder occurrences of open deadlines into outbox rows.

Only deadlines whose `next_step_at` has come are read (an index), so a tick costs what is
due, not what is stored. Rows are keyed (deadline, occurrence, recipient) and inserted with
ON CONFLICT DO NOTHING: any number of ticks in any number of processes plan a step once.
After downtime, each recipient gets only the latest due step of a ladder, marked late; the
earlier ones are stored as `superseded`, so nothing is skipped without a trace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.calendar import SwedishCalendar
from bot.domain.ladder import Occurrence, SendingTime, next_due, occurrences
from bot.domain.periods import Offset
from bot.domain.recipients import UNREACHABLE_STATE, Directory, Recipient
from bot.domain.roles import Role
from bot.domain.rules import RulePack, Step
from bot.ports.outbox import PENDING, QUIETED, SUPERSEDED, DueDeadline, NewNotification
from bot.ports.unit_of_work import Stores, UnitOfWork

log = logging.getLogger(__name__)
MISSING_STEP = "saknar_handlaggare"


@dataclass(frozen=True)
class SendingWindow:
    """Working days from `start` to `end` local time: nothing goes out at night."""

    start: time
    end: time
    tz: ZoneInfo
    calendar: SwedishCalendar

    def open_at(self, moment: datetime) -> datetime:
        """`moment` if inside the window, else the next time the window opens (UTC)."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.calendar.is_working_day(day):
            if self.start <= local.time() < self.end:
                return moment
            if local.time() < self.start:
                return datetime.combine(day, self.start, self.tz).astimezone(ZoneInfo("UTC"))
        following = self.calendar.next_working_day(day)
        return datetime.combine(following, self.start, self.tz).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class _Ladder:
    """One ladder (a rule and a last day) as the tick sees it: its occurrences due by now, in
    order, their keys, and when it next has work."""

    due: tuple[Occurrence, ...]
    keys: frozenset[str]
    next_at: datetime | None


class LadderCache:
    """Ladders by (rule, last day) for one day, up to that day's end. A ladder depends only
    on the rule and the last day, and deadlines due together share a few last days: each is
    computed once a day, by whichever tick of the process needs it first."""

    def __init__(self) -> None:
        self.day: date | None = None
        self.ladders: dict[tuple[str, date], list[Occurrence]] = {}

    def of_day(self, today: date) -> dict[tuple[str, date], list[Occurrence]]:
        if today != self.day:
            self.day, self.ladders = today, {}
        return self.ladders


@dataclass
class PlanResult:
    deadlines: int = 0
    planned: int = 0
    superseded: int = 0


class Planner:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        pack: RulePack,
        calendar: SwedishCalendar,
        sending: SendingTime,
        window: SendingWindow,
        clock: Clock,
        admin_channel: str | None = None,
        grace: timedelta = timedelta(minutes=15),
        batch: int = 2000,
        ladders: LadderCache | None = None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.pack = pack
        self.calendar = calendar
        self.sending = sending
        self.window = window
        self.clock = clock
        self.admin_channel = admin_channel
        self.grace = grace
        self.batch = batch
        self.ladders = ladders if ladders is not None else LadderCache()

    def _ladder(self, rule_id: str, last_day: date, now: datetime) -> _Ladder | None:
        rule = self.pack.rules.get(rule_id)
        if rule is None:
            return None
        today = now.astimezone(self.sending.tz).date()
        of_day = self.ladders.of_day(today)
        key = (rule_id, last_day)
        ladder = of_day.get(key)
        if ladder is None:
            # Up to the end of the day: a superset of the ladder up to `now`, with the same
            # occurrences due by now and the same next one after it.
            tomorrow = datetime.combine(today + timedelta(days=1), time(0), self.sending.tz)
            ladder = of_day[key] = list(
                occurrences(rule, last_day, self.calendar, self.sending, tomorrow)
            )
        due = tuple(o for o in ladder if o.due_at <= now)
        return _Ladder(due, frozenset(o.key for o in due), next_due(ladder, now))

    async def tick(self) -> PlanResult:
        """Plan everything due now, batch by batch, each batch in its own transaction; the
        last one also records the tick (the heartbeat self-audit reads)."""
        now = self.clock.now()
        result = PlanResult()
        seen: dict[tuple[str, date], _Ladder | None] = {}
        while True:
            async with self.unit_of_work() as uow:
                items = await uow.outbox.fristar_to_plan(now, self.batch)
                if items:
                    await self._plan(uow, items, now, result, seen)
                if len(items) < self.batch:
                    await uow.outbox.set_state("planner:last_tick", now.isoformat(), now)
                    return result

    async def _plan(
        self,
        uow: Stores,
        items: list[DueDeadline],
        now: datetime,
        result: PlanResult,
        seen: dict[tuple[str, date], _Ladder | None],
    ) -> None:
        units = {item.enhet_id for item in items}
        unreachable = await uow.outbox.get_state(UNREACHABLE_STATE)
        directory = Directory(
            await uow.outbox.staff_for(units),
            await uow.outbox.escalation_channels(units),
            self.admin_channel,
            (k.removeprefix(UNREACHABLE_STATE) for k, v in unreachable.items() if v.value),
        )
        not_before = self.window.open_at(now)
        late_before = now - self.grace
        today = now.astimezone(self.sending.tz).date()
        rows: list[NewNotification] = []
        next_steps: dict[int, datetime | None] = {}
        # Who a role reaches in an enhet (for a handläggare: per person) is the same for every
        # deadline of the batch: resolved once.
        recipients: dict[tuple[Role, int, int | None], list[Recipient]] = {}
        for item in items:
            key = (item.rule_id, item.last_day)
            if key in seen:
                ladder = seen[key]
            else:
                ladder = seen[key] = self._ladder(item.rule_id, item.last_day, now)
            if ladder is None:
                log.warning("deadline %s has rule %s, not in the pack", item.frist_id, item.rule_id)
                next_steps[item.frist_id] = None
                continue
            done = item.planned
            # Usually every due occurrence but today's is planned: a set difference in C, and
            # the loop below runs over what is left.
            due = () if ladder.keys <= done else [o for o in ladder.due if o.key not in done]
            candidates = self._candidates(item, due, directory, done, now, today, recipients)
            if candidates:
                rows += self._catch_up(item, candidates, late_before, not_before)
            next_steps[item.frist_id] = ladder.next_at
        result.deadlines += len(items)
        result.planned += sum(1 for row in rows if row.state == PENDING)
        result.superseded += sum(1 for row in rows if row.state == SUPERSEDED)
        await uow.outbox.add_notifications(rows, now)
        await uow.outbox.set_next_steps(next_steps)

    def _candidates(
        self,
        item: DueDeadline,
        due: Sequence[Occurrence],
        directory: Directory,
        planned: AbstractSet[str],
        now: datetime,
        today: date,
        recipients: dict[tuple[Role, int, int | None], list[Recipient]],
    ) -> list[tuple[Occurrence, Recipient]]:
        """(occurrence, recipient) of every due occurrence not planned yet (`due`: planned
        once, to whoever had the role then), and of the missing-handläggare step."""
        found = []
        for occurrence in due:
            role = occurrence.step.to
            who = (role, item.enhet_id, item.handlaggare_id if role is Role.HANDLAGGARE else None)
            reached = recipients.get(who)
            if reached is None:
                reached = recipients[who] = directory.resolve(
                    role, item.enhet_id, item.handlaggare_id, today
                )
            for recipient in reached:
                found.append((occurrence, recipient))
        if directory.missing_handlaggare(item.handlaggare_id):
            # At once, once per deadline and handläggare: the chef must pick a new one.
            key = f"{MISSING_STEP}:{item.handlaggare_id or 0}"
            if key not in planned:
                step = Step(at=Offset(0), to=Role.CHEF, escalation=True)
                occurrence = Occurrence(key, step, today, now)
                for recipient in directory.chef(item.enhet_id, today, MISSING_STEP):
                    found.append((occurrence, recipient))
        return found

    def _catch_up(
        self,
        item: DueDeadline,
        candidates: list[tuple[Occurrence, Recipient]],
        late_before: datetime,
        not_before: datetime,
    ) -> list[NewNotification]:
        """Per recipient, the latest candidate pending (late if due before `late_before` and
        after the deadline was created; quieted if acknowledged that day), the rest superseded."""
        by_recipient: dict[str, list[tuple[Occurrence, Recipient]]] = {}
        for pair in candidates:
            by_recipient.setdefault(pair[1].address, []).append(pair)
        rows = []
        for address, entries in by_recipient.items():
            if len(entries) > 1:
                entries.sort(key=lambda e: (e[0].due_at, e[0].step.escalation, e[0].key))
            latest = entries[-1]
            for occurrence, recipient in entries:
                state = PENDING if (occurrence, recipient) == latest else SUPERSEDED
                if (
                    state == PENDING
                    and occurrence.step.repeat is not None
                    and item.acknowledged_on == occurrence.send_on
                ):
                    state = QUIETED
                late = (
                    state == PENDING
                    and occurrence.due_at < late_before
                    and item.created_at is not None
                    and occurrence.due_at >= item.created_at
                )
                rows.append(
                    NewNotification(
                        item.frist_id,
                        occurrence.key,
                        address,
                        occurrence.due_at,
                        state,
                        late,
                        recipient.reason,
                        not_before,
                    )
                )
        return rows
