"""A deadline's reminder and escalation ladder as concrete send times (pure, no I/O).

Each rung of a rule's ladder is counted from the deadline's effective last day. A rung on or
before the last day that falls on a non-working day moves to the previous working day, so the
reminder arrives in time; a rung after the last day moves to the next working day, since a
deadline cannot be overdue before its last day has ended. Every rung is sent at the sending
time (08:00 Europe/Stockholm by default) and converted to UTC.

A repeating rung ("+1d, repeat 1d") yields one occurrence per working day while the deadline is
open. Occurrences are keyed `step#YYYY-MM-DD`, so the outbox plans each exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.calendar import SwedishCalendar
from bot.domain.rules import Rule, Step

MAX_REPEATS = 3650  # a daily repeat for ten years; a guard, never reached in practice


@dataclass(frozen=True)
class Occurrence:
    key: str  # "esk:+1d:chef#2026-06-29"
    step: Step
    send_on: date
    due_at: datetime  # aware UTC


@dataclass(frozen=True)
class SendingTime:
    """When in the day reminders go out, where."""

    at: time
    tz: ZoneInfo

    def on(self, day: date) -> datetime:
        local = datetime.combine(day, self.at, tzinfo=self.tz)
        return local.astimezone(ZoneInfo("UTC"))


def send_day(step_day: date, after_last_day: bool, calendar: SwedishCalendar) -> date:
    """The working day a rung is sent on."""
    return calendar.on_or_after(step_day) if after_last_day else calendar.on_or_before(step_day)


def occurrences(
    rule: Rule,
    last_day: date,
    calendar: SwedishCalendar,
    sending: SendingTime,
    until: datetime,
) -> Iterator[Occurrence]:
    """Every occurrence of every rung with due_at <= `until`, plus the first one after it
    for each repeating rung (so the caller can tell when the ladder next has work)."""
    for step in rule.steps:
        yield from _step_occurrences(step, last_day, calendar, sending, until)


def _step_occurrences(
    step: Step, last_day: date, calendar: SwedishCalendar, sending: SendingTime, until: datetime
) -> Iterator[Occurrence]:
    seen: set[date] = set()
    day = step.at.apply(last_day)
    for _ in range(MAX_REPEATS):
        after = day > last_day
        on = send_day(day, after, calendar)
        if on not in seen:
            seen.add(on)
            due = sending.on(on)
            yield Occurrence(f"{step.key}#{on.isoformat()}", step, on, due)
            if due > until:
                return
        if step.repeat is None:
            return
        day = step.repeat.apply(day)


def next_due(occurrences_: list[Occurrence], after: datetime) -> datetime | None:
    """The earliest due time strictly after `after`, or None when the ladder is finished."""
    future = [o.due_at for o in occurrences_ if o.due_at > after]
    return min(future) if future else None


def first_due(
    rule: Rule, last_day: date, calendar: SwedishCalendar, sending: SendingTime
) -> datetime | None:
    """The due time of the ladder's first rung (where planning of a new deadline starts)."""
    times = [
        sending.on(send_day(step.at.apply(last_day), step.at.days > 0, calendar))
        for step in rule.steps
    ]
    return min(times) if times else None
