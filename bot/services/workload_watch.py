"""The workload through the outbox: the weekly message to each chef (Monday 08:00) and the
early warnings (an utredning at risk; a handläggare's 14-day load doubled within a week).

Each is planned once (its step key): the weekly message per chef and ISO week
(`belastning:<week>:<enhet>:<chef>`, so that an adapter able to attach a file can draw
`weekly_chart` for the enhet when it sends the row), an utredning at
risk once per deadline, a doubled load once per person and week. A small snapshot per enhet
and day (runtime state `belastning:<enhet>`) gives "since last week" and the doubling.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, local_today
from bot.domain import markup
from bot.domain.calendar import SwedishCalendar
from bot.domain.deadline import Deadline
from bot.domain.messages import Image, Message, message_to_json
from bot.domain.roles import Role
from bot.domain.rules import RulePack
from bot.domain.workload import PersonLoad, week_start
from bot.formatting import long_date
from bot.i18n import _
from bot.ports.outbox import NewNotification
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.alarms import alarm_chefs
from bot.services.workload import Workload, number, read_workload
from bot.services.workload_chart import chart_png

SEND_AT = time(8, 0)
KEEP_DAYS = 15
STATE = "belastning:"


def iso_week(day: date) -> str:
    year, week, _day = day.isocalendar()
    return f"{year}-W{week:02d}"


def who(p: PersonLoad) -> str:
    return markup.mention(p.chat_user_id) if p.chat_user_id else p.name


def at_risk(deadline: Deadline, last_progress: date | None, today: date, stale_weeks: int) -> bool:
    """Less than a quarter of the period left (not yet overdue) and no progress event for
    `stale_weeks` weeks (the period's start counts when there is none)."""
    last = deadline.effective_last_day
    period = (last - deadline.trigger_date).days
    left = (last - today).days
    if not deadline.is_open or period <= 0 or left < 0 or left * 4 >= period:
        return False
    since = max(last_progress or deadline.trigger_date, deadline.trigger_date)
    return (today - since).days >= stale_weeks * 7


def weekly_message(work: Workload, change: str) -> Message:
    """The chef's weekly message: deadlines per person and week, as text and as a chart."""
    unit = work.unit
    bars = work.bars(4)
    title = _("Workload {enhet}, week {week}").format(
        enhet=unit.enhet, week=unit.day.isocalendar().week
    )
    weeks = " / ".join(_("w{n}").format(n=w.isocalendar().week) for w in bars.weeks)
    lines = [_("Deadlines per week ({weeks}), overdue now:").format(weeks=weeks)]
    for person, row, late in zip(unit.people, bars.due, bars.overdue, strict=True):
        line = _("{who}: {weeks} · overdue {late} · load {load}").format(
            who=who(person),
            weeks=" / ".join(str(n) for n in row),
            late=late,
            load=number(person.load),
        )
        if person.over:
            line += " · " + _("above the threshold")
        lines.append(line)
    lines.append(change)
    if unit.over and unit.room is not None:
        lines.append(
            _("Most room for an omfördelning: {who} (load {load}).").format(
                who=who(unit.room), load=number(unit.room.load)
            )
        )
    chart = Image(
        weekly_chart(work),
        f"belastning-{unit.day.isoformat()}.png",
        _("Deadlines per handläggare and week, the next four weeks, with the threshold."),
    )
    return Message(text="\n".join([title, *lines]), title=title, body=tuple(lines), image=chart)


def weekly_chart(work: Workload, weeks: int = 4) -> bytes:
    """The weekly chart as PNG bytes, for an adapter that can attach a file."""
    return chart_png(work.bars(weeks))


def _snapshot(work: Workload) -> dict[str, list[float]]:
    return {str(p.person_id): [p.load, p.load_14, p.overdue, sum(p.due)] for p in work.unit.people}


def change_line(work: Workload, history: dict[str, dict[str, list[float]]]) -> str:
    """One line: what changed since the snapshot a week (or more) ago."""
    week_ago = (work.unit.day - timedelta(days=7)).isoformat()
    older = sorted(day for day in history if day <= week_ago)
    if not older:
        return _("Nothing to compare with yet: the first week of the workload view.")
    before = history[older[-1]]
    load_then = sum(v[0] for v in before.values())
    late_then = int(sum(v[2] for v in before.values()))
    load_now = sum(p.load for p in work.unit.people)
    late_now = sum(p.overdue for p in work.unit.people)
    return _("Since last week: load {then} → {now}, overdue {late_then} → {late_now}.").format(
        then=number(load_then), now=number(load_now), late_then=late_then, late_now=late_now
    )


class WorkloadWatch:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        pack: RulePack,
        calendar: SwedishCalendar,
        clock: Clock,
        tz: ZoneInfo,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.pack = pack
        self.calendar = calendar
        self.clock = clock
        self.tz = tz

    async def _history(self, uow: Stores, enhet_id: int) -> dict[str, dict[str, list[float]]]:
        entry = (await uow.outbox.get_state(f"{STATE}{enhet_id}")).get(f"{STATE}{enhet_id}")
        return json.loads(entry.value) if entry else {}

    async def _remember(
        self, uow: Stores, work: Workload, history: dict[str, dict[str, list[float]]]
    ) -> None:
        day = work.unit.day
        history = {k: v for k, v in history.items() if k > (day - timedelta(KEEP_DAYS)).isoformat()}
        history[day.isoformat()] = _snapshot(work)
        await uow.outbox.set_state(
            f"{STATE}{work.unit.enhet_id}", json.dumps(history), self.clock.now()
        )

    async def weekly_if_due(self) -> int:
        """From Monday 08:00 on (a catch-up later in the same week), plan this week's message
        to every chef of every enhet, once. Returns the number of messages planned."""
        today = local_today(self.clock, self.tz)
        monday = week_start(today)
        due = datetime.combine(monday, SEND_AT, self.tz)
        now = self.clock.now()
        if now < due:
            return 0
        week = iso_week(today)
        planned = 0
        async with self.unit_of_work() as uow:
            for unit in sorted((await uow.outbox.units()).values(), key=lambda u: u.id):
                work = await read_workload(uow, unit.id, unit.name, today, self.pack)
                chefs = [
                    m
                    for m in work.staff
                    if m.role is Role.CHEF and m.enhet_id == unit.id and m.active
                ]
                steps = {m.stored_id: f"belastning:{week}:{unit.id}:{m.stored_id}" for m in chefs}
                todo = [m for m in chefs if not await uow.outbox.has_step(steps[m.stored_id])]
                if not todo:
                    continue
                history = await self._history(uow, unit.id)
                payload = message_to_json(weekly_message(work, change_line(work, history)))
                rows = [
                    NewNotification(
                        None, steps[m.stored_id], f"person:{m.stored_id}", due, payload=payload
                    )
                    for m in todo
                ]
                await uow.outbox.add_notifications(rows, now)
                await self._remember(uow, work, history)
                planned += len(rows)
        return planned

    async def daily(self) -> int:
        """On working days: remember today's figures and plan the early warnings. Returns the
        number of warnings planned."""
        today = local_today(self.clock, self.tz)
        if not self.calendar.is_working_day(today):
            return 0
        now = self.clock.now()
        settings = self.pack.workload
        planned = 0
        async with self.unit_of_work() as uow:
            for unit in sorted((await uow.outbox.units()).values(), key=lambda u: u.id):
                work = await read_workload(uow, unit.id, unit.name, today, self.pack)
                risky = [d for d in work.deadlines if d.rule_id in settings.at_risk_rules]
                events = await uow.cases.events_of({d.case_id for d in risky})
                for d in risky:
                    progress = [
                        e.date
                        for e in events.get(d.case_id, [])
                        if e.type in settings.progress_events and e.date <= today
                    ]
                    if at_risk(d, max(progress, default=None), today, settings.stale_weeks):
                        message = risk_message(d, self.pack, max(progress, default=None), today)
                        planned += await alarm_chefs(
                            uow, unit.id, f"risk:{d.frist_id}", message, now, today
                        )
                history = await self._history(uow, unit.id)
                planned += await self._doubled(uow, work, history, now, today)
                await self._remember(uow, work, history)
        return planned

    async def _doubled(
        self,
        uow: Stores,
        work: Workload,
        history: dict[str, dict[str, list[float]]],
        now: datetime,
        today: date,
    ) -> int:
        week_ago = (today - timedelta(days=7)).isoformat()
        recent = [v for day, v in history.items() if week_ago <= day < today.isoformat()]
        planned = 0
        for p in work.unit.people:
            before = [v[str(p.person_id)][1] for v in recent if str(p.person_id) in v]
            low = min(before, default=0.0)
            if low <= 0 or p.load_14 < 2 * low:
                continue
            message = doubled_message(p, work.unit.enhet, low)
            step = f"belastning-dubbel:{p.person_id}:{iso_week(today)}"
            planned += await alarm_chefs(uow, work.unit.enhet_id, step, message, now, today)
        return planned


def risk_message(d: Deadline, pack: RulePack, progress: date | None, today: date) -> Message:
    last = d.effective_last_day
    title = _("Utredning at risk: {code}").format(code=d.code)
    owner = markup.mention(d.handlaggare_chat) if d.handlaggare_chat else _("no handläggare")
    since = progress or d.trigger_date
    lines = [
        _(
            "The deadline {rule} falls on {day}, in {n} days, and nothing has been registered "
            "in the case since {since}."
        ).format(
            rule=pack.rules[d.rule_id].name if d.rule_id in pack.rules else d.rule_id,
            day=long_date(last),
            n=(last - today).days,
            since=long_date(since),
        ),
        _("Handläggare: {who}. Check whether the utredning needs help or an extension.").format(
            who=owner
        ),
    ]
    return Message(text="\n".join([title, *lines]), title=title, body=tuple(lines))


def doubled_message(p: PersonLoad, enhet: str, before: float) -> Message:
    title = _("Workload doubled: {who}").format(who=who(p))
    line = _(
        "The load of deadlines in the next 14 days went from {before} to {now} within a week "
        "({enhet}). `/frister belastning` shows the whole enhet."
    ).format(before=number(before), now=number(p.load_14), enhet=enhet)
    return Message(text=f"{title}\n{line}", title=title, body=(line,))
