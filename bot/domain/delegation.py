"""Delegation checks: who may decide what (delegationsordning), and a pattern JO criticised.

A rule pack states the lowest decision level allowed for a rule's decisions (`decision_level`,
e.g. utskott for överväganden, 30 kap. 6–7 §§ SoL 2025:400) and for its extensions
(`extension.level`). A decision recorded below that level is refused, or — when the
municipality configures it — accepted and escalated to the chef as "beslut fattat utan
delegation".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.deadlines import CaseEvent
from bot.domain.roles import DecisionLevel
from bot.domain.rules import Rule

CLOSED = ("utredning_avslutad", "utredning_nedlagd")
OPENED = "utredning_inledd"


class DelegationMode(StrEnum):
    REFUSE = "refuse"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class DelegationCheck:
    allowed: bool  # store the decision
    escalate: bool  # tell the chef: decided without delegation
    required: DecisionLevel | None


def required_level(rule: Rule, extension: bool) -> DecisionLevel | None:
    if extension:
        return rule.extension.level if rule.extension else None
    return rule.decision_level


def check_decision(
    rule: Rule, level: DecisionLevel, *, extension: bool, mode: DelegationMode
) -> DelegationCheck:
    """Whether a decision at `level` may be recorded for `rule`."""
    required = required_level(rule, extension)
    if required is None or level.allows(required):
        return DelegationCheck(True, False, required)
    if mode is DelegationMode.ESCALATE:
        return DelegationCheck(True, True, required)
    return DelegationCheck(False, False, required)


@dataclass(frozen=True)
class Restart:
    """An utredning closed and a new one opened soon after: the 4-month clock was reset."""

    closed_on: date
    reopened_on: date

    @property
    def gap_days(self) -> int:
        return (self.reopened_on - self.closed_on).days


def restarted_investigations(events: Sequence[CaseEvent], within_days: int = 14) -> list[Restart]:
    """Every utredning_inledd within `within_days` after an utredning was closed."""
    ordered = sorted(events, key=lambda e: (e.date, e.id))
    found = []
    last_closed: CaseEvent | None = None
    for event in ordered:
        if event.type in CLOSED:
            last_closed = event
        elif event.type == OPENED and last_closed is not None:
            if 0 <= (event.date - last_closed.date).days <= within_days:
                found.append(Restart(last_closed.date, event.date))
            last_closed = None
    return found
