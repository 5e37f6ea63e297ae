"""Workload of an enhet, read from the stores: the figures chat, the CLI, the weekly message
and the report share (one computation: bot.domain.workload)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.deadline import Deadline
from bot.domain.rules import RulePack
from bot.domain.staff import StaffMember
from bot.domain.workload import HORIZONS, PersonLoad, UnitLoad, WeekBars, unit_load, week_bars
from bot.i18n import _
from bot.ports.unit_of_work import Stores
from bot.services.csv_cells import csv_text


@dataclass(frozen=True)
class Workload:
    """One enhet's figures and what they were computed from (for the weekly chart)."""

    unit: UnitLoad
    deadlines: tuple[Deadline, ...]
    staff: tuple[StaffMember, ...]

    def bars(self, weeks: int = 4) -> WeekBars:
        return week_bars(self.unit, self.deadlines, self.staff, weeks)


async def read_workload(
    uow: Stores,
    enhet_id: int,
    enhet: str,
    day: date,
    pack: RulePack,
    names: Mapping[str, str] | None = None,
) -> Workload:
    """The workload of one enhet on `day` (open deadlines; staff with their substitutes)."""
    deadlines = tuple(await uow.chat.deadline_items(enhet_id=enhet_id))
    staff = tuple(await uow.outbox.staff_for([enhet_id]))
    unit = unit_load(enhet_id, enhet, deadlines, staff, day, pack, names)
    return Workload(unit, deadlines, staff)


async def read_all(
    uow: Stores, day: date, pack: RulePack, names: Mapping[str, str] | None = None
) -> list[Workload]:
    """Every enhet's workload, by enhet name."""
    units = sorted((await uow.outbox.units()).values(), key=lambda u: u.name)
    return [await read_workload(uow, u.id, u.name, day, pack, names) for u in units]


def _name(person: PersonLoad) -> str:
    return person.name


def number(value: float) -> str:
    """1.5 → "1,5", 3.75 → "3,75", 3.0 → "3" (Swedish decimals)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def headers(bars: WeekBars | None = None) -> list[str]:
    weeks = [_("Week {week}").format(week=w.isocalendar().week) for w in bars.weeks] if bars else []
    return [
        _("Handläggare"),
        _("Open utredningar"),
        *[_("Due in {days} days").format(days=days) for days in HORIZONS],
        _("Overdue"),
        _("Extended"),
        _("Load"),
        _("Over threshold"),
        *weeks,
    ]


def table_rows(unit: UnitLoad, bars: WeekBars | None = None) -> list[list[object]]:
    """One row per person, in the order of `headers()` (with `bars`: deadlines per week)."""
    weekly = bars.due if bars else tuple(() for _p in unit.people)
    return [
        [
            p.name + (" " + _("(away)") if p.absent else ""),
            p.open_utredningar,
            *p.due,
            p.overdue,
            p.extended,
            number(p.load),
            _("yes") if p.over else "",
            *week,
        ]
        for p, week in zip(unit.people, weekly, strict=True)
    ]


def threshold_text(unit: UnitLoad, factor: float) -> str:
    if unit.fixed_threshold:
        return _("Threshold {threshold} (fixed for the enhet).").format(
            threshold=number(unit.threshold)
        )
    return _("Threshold {threshold} ({factor} × the median {median}).").format(
        threshold=number(unit.threshold), factor=number(factor), median=number(unit.median)
    )


def suggestion_text(unit: UnitLoad, name: Callable[[PersonLoad], str] = _name) -> str | None:
    """Who is above the threshold and who has most room (`name` words a person)."""
    if not unit.over:
        return None
    over = ", ".join(name(p) for p in unit.over)
    if unit.room is None:
        return _("Above the threshold: {names}. Nobody present has room to take over.").format(
            names=over
        )
    return _("Above the threshold: {names}. Most room: {room} (load {load}).").format(
        names=over, room=name(unit.room), load=number(unit.room.load)
    )


def to_markdown(units: list[Workload], factor: float, weeks: int = 4) -> str:
    lines: list[str] = []
    for work in units:
        unit = work.unit
        bars = work.bars(weeks)
        names = headers(bars)
        lines += [
            "# " + _("Workload {enhet}, {day}").format(enhet=unit.enhet, day=unit.day.isoformat()),
            "",
            "| " + " | ".join(names) + " |",
            "|---|" + "---:|" * 6 + "---|" + "---:|" * len(bars.weeks),
        ]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table_rows(unit, bars)]
        lines += ["", threshold_text(unit, factor)]
        suggestion = suggestion_text(unit)
        if suggestion:
            lines.append(suggestion)
        if unit.unassigned:
            lines.append(_("Open deadlines without a handläggare: {n}.").format(n=unit.unassigned))
        lines.append("")
    return "\n".join(lines)


def to_csv(units: list[Workload], weeks: int = 4) -> str:
    """One row per enhet and person, the next weeks as the last columns (cells that look like
    formulas are neutralised)."""
    rows: list[list[object]] = []
    for work in units:
        unit, bars = work.unit, work.bars(weeks)
        if not rows:
            rows.append([_("enhet"), _("day"), *headers(bars)])
        rows += [[unit.enhet, unit.day.isoformat(), *row] for row in table_rows(unit, bars)]
    return csv_text(rows or [[_("enhet"), _("day"), *headers()]])
