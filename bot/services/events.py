"""Recording case events, one use case for the CSV import and for chat.

`EventRecorder.record` registers events, re-derives the deadlines of their cases and raises
the alarms the events call for: a decision made without delegation and an utredning restarted
soon after it was closed (a pattern JO has criticised). Alarms go to the enhet's chefs and the
admin channel through the outbox, each with its audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from bot.domain.calendar import SwedishCalendar
from bot.domain.deadlines import (
    CaseEvent,
    DeadlineChanges,
    DerivedDeadline,
    derive_deadlines,
    reconcile,
)
from bot.domain.delegation import Restart, restarted_investigations
from bot.domain.messages import Message
from bot.domain.rules import RulePack
from bot.i18n import _
from bot.ports.audit import AuditEntry
from bot.ports.cases import NewEvent
from bot.ports.unit_of_work import Stores
from bot.services.alarms import alarm_chefs

RESTARTING_EVENT = "utredning_inledd"
NO_DETAIL: Mapping[str, Any] = MappingProxyType({})
# Derivations kept by the order of a case's event types and dates (most cases of an import
# share one of a few shapes); emptied when full.
SHAPES = 20_000


@dataclass(frozen=True)
class EventEntry:
    """One event to register, with what the alarms and the audit trail need to know."""

    event: NewEvent
    code: str  # the case's code
    enhet_id: int  # the case's enhet (whose chefs hear of alarms)
    detail: Mapping[str, Any] = NO_DETAIL  # added to the audit row
    without_delegation: bool = False  # a decision accepted below the required level

    @property
    def key(self) -> tuple[int, str, date]:
        return (self.event.case_id, self.event.type, self.event.date)


@dataclass(frozen=True)
class Recorded:
    """What recording changed."""

    fresh: list[NewEvent]  # the events that were not registered before
    changes: dict[int, DeadlineChanges]  # per case id
    events: dict[int, list[CaseEvent]]  # every event of the cases, after recording


@dataclass(frozen=True)
class EventRecorder:
    rules: RulePack
    calendar: SwedishCalendar
    admin_channel: str | None = None
    _shapes: dict[tuple[tuple[str, date], ...], list[DerivedDeadline]] = field(
        default_factory=dict, repr=False, compare=False
    )

    async def record(
        self,
        uow: Stores,
        entries: Sequence[EventEntry],
        *,
        actor: str,
        now: datetime,
        today: date,
        rederive: Iterable[int] = (),
        new_cases: Collection[int] = (),
        progress: Callable[[int], None] | None = None,
    ) -> Recorded:
        """Register `entries` (audited as `actor`), re-derive the deadlines of the cases that
        got a new event (and of the `rederive` cases), then raise the alarms of the fresh
        events. A case whose events are all known already is not derived again: its deadlines
        follow from the same events. `new_cases` were added in this transaction: nothing of
        theirs is stored yet, so nothing is read back."""
        new = frozenset(new_cases)
        fresh = await uow.cases.add_events([e.event for e in entries], now, new)
        case_ids = list(dict.fromkeys([*(e.case_id for e in fresh), *rederive]))
        events, changes = await self._rederive(uow, case_ids, fresh, new, now, progress)
        detail: dict[tuple[int, str, date], Mapping[str, Any]] = {}
        code_of: dict[int, str] = {}
        for entry in entries:
            detail.setdefault(entry.key, entry.detail)
            code_of.setdefault(entry.event.case_id, entry.code)
        audit: list[AuditEntry] = [
            (
                actor,
                "handelse_registrerad",
                code_of[e.case_id],
                {
                    "typ": e.type,
                    "datum": e.date.isoformat(),
                    **detail.get((e.case_id, e.type, e.date), {}),
                },
            )
            for e in fresh
        ]
        if audit:
            await uow.audit.append_many(audit, now)
        recorded = Recorded(fresh, changes, events)
        await self._alarms(uow, entries, recorded, actor, now, today)
        return recorded

    async def _rederive(
        self,
        uow: Stores,
        case_ids: list[int],
        fresh: list[NewEvent],
        new: frozenset[int],
        now: datetime,
        progress: Callable[[int], None] | None,
    ) -> tuple[dict[int, list[CaseEvent]], dict[int, DeadlineChanges]]:
        known = [case_id for case_id in case_ids if case_id not in new]
        events = await uow.cases.events_of(known) if known else {}
        stored = await uow.cases.deadlines_of(known) if known else {}
        for e in fresh:  # a new case's events are all fresh
            if e.case_id in new and e.id is not None:
                events.setdefault(e.case_id, []).append(CaseEvent(e.id, e.type, e.date))
        changes: dict[int, DeadlineChanges] = {}
        for case_id in case_ids:
            derived = self._derive(events.get(case_id, []))
            changes[case_id] = reconcile(derived, stored.get(case_id, []))
            if progress:
                progress(1)
        await uow.cases.apply_deadline_changes(changes, now)
        return events, changes

    def _derive(self, events: list[CaseEvent]) -> list[DerivedDeadline]:
        """`derive_deadlines`, kept by the case's shape: the derivation uses an event's id only
        to order events of one day and to name it, so one shape derives alike."""
        ordered = sorted(events, key=lambda e: (e.date, e.id))
        shape = tuple((e.type, e.date) for e in ordered)
        derived = self._shapes.get(shape)
        if derived is None:
            placeholders = [CaseEvent(i, e.type, e.date) for i, e in enumerate(ordered)]
            derived = derive_deadlines(placeholders, self.rules, self.calendar)
            if len(self._shapes) >= SHAPES:
                self._shapes.clear()
            self._shapes[shape] = derived
        ids = [e.id for e in ordered]
        return [
            DerivedDeadline(
                d.rule_id,
                ids[d.trigger_event_id],
                d.occurrence,
                d.trigger_date,
                d.calendar_last_day,
                d.last_day,
                d.status,
                d.closed_on,
                None if d.closing_event_id is None else ids[d.closing_event_id],
            )
            for d in derived
        ]

    async def _alarms(
        self,
        uow: Stores,
        entries: Sequence[EventEntry],
        recorded: Recorded,
        actor: str,
        now: datetime,
        today: date,
    ) -> None:
        """The chef hears of decisions without delegation and of restarted utredningar."""
        fresh = {(e.case_id, e.type, e.date) for e in recorded.fresh}
        for entry in entries:
            if not (entry.without_delegation and entry.key in fresh):
                continue
            event, day = entry.event.type, entry.event.date
            await alarm_chefs(
                uow,
                entry.enhet_id,
                f"larm:delegation:{entry.code}:{event}:{day}",
                without_delegation_message(entry.code, self.rules.event_name(event), day),
                now,
                today,
                self.admin_channel,
            )
            await uow.audit.append(
                actor,
                "beslut_utan_delegation",
                entry.code,
                {"handelse": event, "datum": day.isoformat()},
                now,
            )
        restarting = {e.case_id for e in recorded.fresh if e.type == RESTARTING_EVENT}
        cases = {e.event.case_id: e for e in entries if e.event.case_id in restarting}
        for case_id, entry in cases.items():
            for restart in restarted_investigations(recorded.events.get(case_id, [])):
                if (case_id, RESTARTING_EVENT, restart.reopened_on) not in fresh:
                    continue
                await alarm_chefs(
                    uow,
                    entry.enhet_id,
                    f"larm:omstart:{entry.code}:{restart.reopened_on.isoformat()}",
                    restart_message(entry.code, restart),
                    now,
                    today,
                    self.admin_channel,
                )
                await uow.audit.append(
                    actor,
                    "utredning_omstartad",
                    entry.code,
                    {
                        "avslutad": restart.closed_on.isoformat(),
                        "ny": restart.reopened_on.isoformat(),
                    },
                    now,
                )


def without_delegation_message(code: str, event: str, day: date) -> Message:
    """The alarm about a decision recorded below the level the delegationsordning requires."""
    text = _(
        "Decision made without delegation: {event} on {day} in case {code} was recorded at a "
        "lower level than the delegationsordning allows."
    ).format(event=event, day=day.isoformat(), code=code)
    return Message(text=text, title=_("Decision made without delegation"), body=(text,))


def restart_message(code: str, restart: Restart) -> Message:
    """The alarm about an utredning reopened soon after it was closed (JO)."""
    text = _(
        "Case {code}: an utredning was closed on {closed} and a new one opened on {opened}, "
        "{days} days later. This restarts the 4-month limit, a pattern JO has criticised: check "
        "that the new utredning is really a new matter."
    ).format(
        code=code,
        closed=restart.closed_on.isoformat(),
        opened=restart.reopened_on.isoformat(),
        days=restart.gap_days,
    )
    return Message(text=text, title=_("Utredning restarted soon after closing"), body=(text,))
