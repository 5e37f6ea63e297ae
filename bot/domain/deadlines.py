"""Deriving a case's deadlines from its events: the same events always give the same deadlines.

Deadlines are keyed by (rule, trigger event, occurrence), so correcting a trigger event's date
moves every deadline that depends on it, and a recurring rule (övervägande every six months)
gets occurrence 2, 3, ... counted from the day the previous one was done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.calendar import SwedishCalendar
from bot.domain.rules import Rule, RulePack

MAX_OCCURRENCES = 500  # a recurring rule every month for 40 years; a guard against runaway data


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CaseEvent:
    """A registered event of one case (id orders events on the same day)."""

    id: int
    type: str
    date: date


@dataclass(frozen=True)
class DerivedDeadline:
    rule_id: str
    trigger_event_id: int
    occurrence: int
    trigger_date: date
    calendar_last_day: date
    last_day: date
    status: Status
    closed_on: date | None = None
    closing_event_id: int | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.rule_id, self.trigger_event_id, self.occurrence)


def _ordered(events: Sequence[CaseEvent]) -> list[CaseEvent]:
    return sorted(events, key=lambda e: (e.date, e.id))


def _applies(rule: Rule, trigger: CaseEvent, events: list[CaseEvent]) -> bool:
    """Whether a trigger gives a deadline under the rule's conditions.

    `valid_from`: no time limit for triggers before that day. `only_after`: one of those
    events happened on an earlier day. `requires`: each required event is in force on the
    trigger day: it happened by then and was not ended (closes_on/cancelled_on) before it."""
    if not rule.has_limit(trigger.date):
        return False
    if rule.only_after and not any(
        e.type in rule.only_after and e.date < trigger.date for e in events
    ):
        return False
    enders = set(rule.closes_on) | set(rule.cancelled_on)
    for needed in rule.requires:
        started = [e for e in events if e.type == needed and e.date <= trigger.date]
        if not started:
            return False
        last = started[-1]
        if any(e.type in enders and last.date <= e.date < trigger.date for e in events):
            return False
    return True


def _start_day(rule: Rule, trigger: CaseEvent, events: list[CaseEvent]) -> date:
    """The day the period runs from: the latest `counted_from` event on or before the trigger
    day (the end of the utredning an uppföljning follows), else the trigger day."""
    earlier = [e.date for e in events if e.type in rule.counted_from and e.date <= trigger.date]
    return max(earlier, default=trigger.date)


def _first_closing(
    rule: Rule, candidates: Sequence[CaseEvent], restarts: frozenset[int] = frozenset()
) -> tuple[Status, CaseEvent] | tuple[Status, None]:
    """The first candidate event that completes or cancels the deadline (a restarting
    trigger cancels it: the new trigger's own deadline replaces it)."""
    for event in candidates:
        if event.id in restarts:
            return Status.CANCELLED, event
        if event.type in rule.closes_on:
            return Status.DONE, event
        if event.type in rule.cancelled_on:
            return Status.CANCELLED, event
    return Status.OPEN, None


def derive_for_rule(
    rule: Rule, events: Sequence[CaseEvent], calendar: SwedishCalendar
) -> list[DerivedDeadline]:
    ordered = _ordered(events)
    position = {event.id: index for index, event in enumerate(ordered)}
    used: set[int] = set()  # events that already closed an earlier trigger of this rule
    derived: list[DerivedDeadline] = []
    for trigger in ordered:
        if trigger.type not in rule.triggers or not _applies(rule, trigger, ordered):
            continue
        # The first occurrence is closed by any later-dated or same-day event (rows of one day
        # may arrive in any order), except one that closed an earlier trigger and stands before
        # this one (a new utredning opened the day the last one closed); a recurrence only by
        # events after the one that closed the previous occurrence.
        candidates = [
            e
            for e in ordered
            if e.date >= trigger.date
            and e.id != trigger.id
            and not (e.id in used and position[e.id] < position[trigger.id])
        ]
        # With `restart`, a later trigger of the same rule (one standing after this one) ends
        # this deadline: the child moved to another familjehem and the clock starts again.
        restarts = frozenset(
            e.id
            for e in ordered
            if rule.restart
            and e.type in rule.triggers
            and position[e.id] > position[trigger.id]
            and _applies(rule, e, ordered)
        )
        start_day, occurrence = _start_day(rule, trigger, ordered), 1
        explained = rule.explain(start_day, calendar)
        while occurrence <= MAX_OCCURRENCES:
            status, closer = _first_closing(rule, candidates, restarts)
            derived.append(
                DerivedDeadline(
                    rule_id=rule.id,
                    trigger_event_id=trigger.id,
                    occurrence=occurrence,
                    trigger_date=start_day,
                    calendar_last_day=explained.calendar_day,
                    last_day=explained.legal_day,
                    status=status,
                    closed_on=closer.date if closer else None,
                    closing_event_id=closer.id if closer else None,
                )
            )
            if closer is not None and closer.id not in restarts:
                used.add(closer.id)
            if status is not Status.DONE or rule.recurs is None or closer is None:
                break
            candidates = candidates[candidates.index(closer) + 1 :]
            start_day, occurrence = closer.date, occurrence + 1
            explained = rule.next_last_day(start_day, calendar)
    return derived


def derive_deadlines(
    events: Sequence[CaseEvent], pack: RulePack, calendar: SwedishCalendar
) -> list[DerivedDeadline]:
    """All deadlines a case's events give under a rule pack, in rule and trigger order."""
    types = {event.type for event in events}
    result: list[DerivedDeadline] = []
    for rule in pack.rules.values():
        if types.intersection(rule.triggers):
            result += derive_for_rule(rule, events, calendar)
    return result


@dataclass(frozen=True)
class StoredDeadline:
    """What the store holds of a deadline, enough to reconcile it with a fresh derivation."""

    id: int
    key: tuple[str, int, int]
    trigger_date: date
    calendar_last_day: date
    last_day: date
    status: Status
    closed_on: date | None
    closing_event_id: int | None

    @property
    def closed_by_hand(self) -> bool:
        """Marked done or cancelled in chat rather than by an event: an event cannot reopen it."""
        return self.status is not Status.OPEN and self.closing_event_id is None


@dataclass(frozen=True)
class DeadlineChanges:
    insert: list[DerivedDeadline]
    update: list[tuple[int, DerivedDeadline]]
    orphaned: list[int]  # stored open deadlines whose trigger no longer gives them


def reconcile(
    derived: Sequence[DerivedDeadline], stored: Sequence[StoredDeadline]
) -> DeadlineChanges:
    """What to write so the store matches a derivation; hand-closed deadlines stay closed."""
    by_key = {item.key: item for item in stored}
    insert: list[DerivedDeadline] = []
    update: list[tuple[int, DerivedDeadline]] = []
    for fresh in derived:
        old = by_key.pop(fresh.key, None)
        if old is None:
            insert.append(fresh)
            continue
        if old.closed_by_hand:
            fresh = DerivedDeadline(
                **{**fresh.__dict__, "status": old.status, "closed_on": old.closed_on}
            )
        if (
            fresh.trigger_date,
            fresh.calendar_last_day,
            fresh.last_day,
            fresh.status,
            fresh.closed_on,
            fresh.closing_event_id,
        ) != (
            old.trigger_date,
            old.calendar_last_day,
            old.last_day,
            old.status,
            old.closed_on,
            old.closing_event_id,
        ):
            update.append((old.id, fresh))
    orphaned = [item.id for item in by_key.values() if item.status is Status.OPEN]
    return DeadlineChanges(insert, update, orphaned)
