"""What every part of the chat interface needs: the stores, the rules, the clock, the limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.clock import Clock, local_today
from bot.domain.calendar import SwedishCalendar
from bot.domain.delegation import DelegationMode
from bot.domain.ladder import SendingTime
from bot.domain.rules import RulePack
from bot.ports.unit_of_work import UnitOfWork
from bot.services.events import EventRecorder

from .askers import Askers
from .rendering import Layout


@dataclass(frozen=True)
class ChatContext:
    """`unit_of_work` makes `askers` forget after every write; `audit_unit_of_work` (the one
    beneath) is for writes that change no person: the audit rows of a question."""

    unit_of_work: UnitOfWork
    audit_unit_of_work: UnitOfWork
    askers: Askers
    pack: RulePack
    calendar: SwedishCalendar
    sending: SendingTime
    clock: Clock
    layout: Layout
    events: EventRecorder
    code_length: int = 8
    delegation: DelegationMode = DelegationMode.REFUSE
    admin_channel: str | None = None

    def today(self) -> date:
        return local_today(self.clock, self.sending.tz)

    def rule_name(self, rule_id: str) -> str:
        rule = self.pack.rules.get(rule_id)
        return rule.name if rule else rule_id
