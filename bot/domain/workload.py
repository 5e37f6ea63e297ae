"""Workload per handläggare in an enhet (pure): counts, a weighted load, a threshold.

- Load: the sum of the rule-pack weights (`weight`, default 1) of every open deadline a person
  holds now, overdue ones included: an open utredning weighs more than an uppföljning because
  more work is left in it.
- Who holds a deadline on a day: its handläggare, or their substitute while they are absent
  (the frånvaro registered in chat or the staff register). The load and overdue figures use
  today; a deadline falling in the next 7/14/28 days counts for whoever holds it on its day.
- People: the enhet's active handläggare, and anyone else (a 1:e socialsekreterare, a
  substitute from another enhet) who holds one of its open deadlines.
- Threshold: a fixed number for the enhet (`[workload] thresholds` in the pack), else `factor`
  × the median load of the people present (the mean when the median is 0). Whoever is above it
  is marked; the present person with the lowest load who is not above is suggested as the one
  to take over cases (omfördelning).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from bot.domain.deadline import Deadline
from bot.domain.roles import Role
from bot.domain.rules import RulePack
from bot.domain.staff import StaffMember

HORIZONS = (7, 14, 28)
UTREDNING_RULES = frozenset({"utredning"})
DEFAULT_RATIO = 1.5


@dataclass(frozen=True)
class PersonLoad:
    person_id: int
    name: str
    chat_user_id: str | None
    open_utredningar: int = 0
    due: tuple[int, int, int] = (0, 0, 0)  # deadlines in the next 7, 14 and 28 days
    overdue: int = 0
    extended: int = 0
    load: float = 0.0
    load_14: float = 0.0  # weights of the deadlines falling in the next 14 days (or overdue)
    standing_in: int = 0  # deadlines counted here for an absent colleague
    absent: bool = False
    over: bool = False


@dataclass(frozen=True)
class UnitLoad:
    enhet_id: int
    enhet: str
    day: date
    people: tuple[PersonLoad, ...]
    median: float
    threshold: float
    fixed_threshold: bool
    unassigned: int = 0  # open deadlines of cases without a handläggare
    room: PersonLoad | None = None  # suggested for an omfördelning when someone is over

    @property
    def over(self) -> tuple[PersonLoad, ...]:
        return tuple(p for p in self.people if p.over)


@dataclass(frozen=True)
class WeekBars:
    """The chart's data: per person and week (Monday), deadlines falling in it; overdue now."""

    weeks: tuple[date, ...]
    names: tuple[str, ...]
    due: tuple[tuple[int, ...], ...]  # per person, per week
    overdue: tuple[int, ...]  # per person
    threshold: float  # in deadlines: the enhet's threshold ratio × the median bar
    enhet: str = ""
    absent: tuple[bool, ...] = ()  # per person: away today


def person_name(member: StaffMember, known: Mapping[str, str] | None = None) -> str:
    """A person's name for people to read, never their chat id: the name the platform showed
    (`known`, by chat id), else the register's name, else one made from their e-mail
    (`anna.berg@…` → Anna Berg), else "Handläggare N" by the register's id."""
    if known and member.chat_user_id and member.chat_user_id in known:
        return known[member.chat_user_id]
    if member.name:  # the staff register's `namn`
        return member.name
    if member.email and "@" in member.email:
        local = member.email.split("@", 1)[0]
        parts = [p for p in local.replace("_", ".").replace("-", ".").split(".") if p]
        if parts and all(p.isalpha() for p in parts):
            return " ".join(p.capitalize() for p in parts)
    return f"Handläggare {member.id}"


def holder(deadline: Deadline, staff: Mapping[int, StaffMember], day: date) -> int | None:
    """Who holds the deadline on `day`: the handläggare, or their substitute while absent."""
    owner = deadline.handlaggare_id
    member = staff.get(owner) if owner is not None else None
    if member is not None and member.absent_on(day) and member.substitute_id is not None:
        return member.substitute_id
    return owner


@dataclass
class _Tally:
    utredningar: int = 0
    due: list[int] = field(default_factory=lambda: [0, 0, 0])
    overdue: int = 0
    extended: int = 0
    load: float = 0.0
    load_14: float = 0.0
    standing_in: int = 0


def threshold_for(loads: Sequence[float], factor: float, fixed: float | None) -> float:
    """The enhet's threshold: `fixed`, else factor × median (the mean when the median is 0)."""
    if fixed is not None:
        return fixed
    if not loads:
        return 0.0
    middle = statistics.median(loads) or statistics.fmean(loads)
    return round(factor * middle, 2)


def unit_load(
    enhet_id: int,
    enhet: str,
    deadlines: Iterable[Deadline],
    staff: Iterable[StaffMember],
    day: date,
    pack: RulePack,
    names: Mapping[str, str] | None = None,
) -> UnitLoad:
    """Every figure of one enhet on `day` from its open deadlines and its staff (with the
    substitutes of its absent people)."""
    by_id = {m.stored_id: m for m in staff}
    tallies: dict[int, _Tally] = {
        m.stored_id: _Tally()
        for m in by_id.values()
        if m.enhet_id == enhet_id and m.active and m.role is Role.HANDLAGGARE
    }
    unassigned = 0
    for d in deadlines:
        if not d.is_open or d.enhet_id != enhet_id:
            continue
        now_holder = holder(d, by_id, day)
        if now_holder is None:
            unassigned += 1
            continue
        last = d.effective_last_day
        tally = tallies.setdefault(now_holder, _Tally())
        weight = pack.weight(d.rule_id)
        tally.load += weight
        if last <= day + timedelta(days=14):
            tally.load_14 += weight
        if now_holder != d.handlaggare_id:
            tally.standing_in += 1
        if d.rule_id in UTREDNING_RULES:
            tally.utredningar += 1
        if last < day:
            tally.overdue += 1
        if d.extended_to is not None:
            tally.extended += 1
        for index, days in enumerate(HORIZONS):
            if day <= last <= day + timedelta(days=days):
                on_day = holder(d, by_id, last)
                if on_day is not None:
                    tallies.setdefault(on_day, _Tally()).due[index] += 1
    people = []
    for pid, t in tallies.items():
        member = by_id.get(pid)
        people.append(
            PersonLoad(
                person_id=pid,
                name=person_name(member, names) if member else f"Handläggare {pid}",
                chat_user_id=member.chat_user_id if member else None,
                open_utredningar=t.utredningar,
                due=(t.due[0], t.due[1], t.due[2]),
                overdue=t.overdue,
                extended=t.extended,
                load=round(t.load, 2),
                load_14=round(t.load_14, 2),
                standing_in=t.standing_in,
                absent=bool(member and member.absent_on(day)),
            )
        )
    present = [p for p in people if not p.absent]
    settings = pack.workload
    fixed = settings.thresholds.get(enhet)
    threshold = threshold_for([p.load for p in present], settings.factor, fixed)
    median = statistics.median([p.load for p in present]) if present else 0.0
    marked = [_marked(p, threshold) for p in people]
    marked.sort(key=lambda p: (-p.load, p.name))
    room = None
    if any(p.over for p in marked):
        free = [p for p in marked if not p.over and not p.absent]
        room = min(free, key=lambda p: (p.load, p.name)) if free else None
    return UnitLoad(
        enhet_id=enhet_id,
        enhet=enhet,
        day=day,
        people=tuple(marked),
        median=round(float(median), 2),
        threshold=threshold,
        fixed_threshold=fixed is not None,
        unassigned=unassigned,
        room=room,
    )


def _marked(person: PersonLoad, threshold: float) -> PersonLoad:
    return replace(person, over=threshold > 0 and person.load > threshold)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bars(
    unit: UnitLoad,
    deadlines: Iterable[Deadline],
    staff: Iterable[StaffMember],
    weeks: int = 4,
) -> WeekBars:
    """Deadlines per person and week for the next `weeks` weeks (from this week's Monday;
    this week counts from today), each for whoever holds it on its day; overdue now apart."""
    by_id = {m.stored_id: m for m in staff}
    first = week_start(unit.day)
    starts = tuple(first + timedelta(weeks=i) for i in range(weeks))
    end = first + timedelta(weeks=weeks)
    index = {p.person_id: i for i, p in enumerate(unit.people)}
    due = [[0] * weeks for _ in unit.people]
    for d in deadlines:
        last = d.effective_last_day
        if not d.is_open or d.enhet_id != unit.enhet_id or not unit.day <= last < end:
            continue
        who = holder(d, by_id, last)
        if who in index:
            due[index[who]][(last - first).days // 7] += 1
    totals = [sum(row) + p.overdue for row, p in zip(due, unit.people, strict=True) if not p.absent]
    ratio = unit.threshold / unit.median if unit.median else DEFAULT_RATIO
    line = ratio * statistics.median(totals) if totals else 0.0
    return WeekBars(
        weeks=starts,
        names=tuple(p.name for p in unit.people),
        due=tuple(tuple(row) for row in due),
        overdue=tuple(p.overdue for p in unit.people),
        threshold=round(line, 2),
        enhet=unit.enhet,
        absent=tuple(p.absent for p in unit.people),
    )
