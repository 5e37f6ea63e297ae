"""Composition root: builds the services from settings. The only place that wires adapters."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot import i18n
from bot.clock import Clock, SystemClock
from bot.config import Settings, SettingsError
from bot.i18n import _

# Services and adapters are imported where they are built: a command imports only what it
# uses (`frister import` needs neither the chat nor the delivery, Slack nor Teams).
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.chat.service import ChatService
    from bot.domain.calendar import SwedishCalendar
    from bot.domain.ladder import SendingTime
    from bot.domain.pseudonym import Pseudonymiser
    from bot.domain.rules import RulePack
    from bot.ports.messenger import Limits, Messenger
    from bot.services.answer_pool import AnswerPool
    from bot.services.delivery import Delivery
    from bot.services.importer import CaseImporter
    from bot.services.notices import Notices
    from bot.services.planner import LadderCache, Planner, SendingWindow
    from bot.services.report_poster import MonthlyReports
    from bot.services.staff import StaffImporter
    from bot.services.watchdog import IntakeWatchdog
    from bot.services.workload_watch import WorkloadWatch
    from storage.addresses import SqlAddressBook
    from storage.unit_of_work import SqlUnitOfWork


@dataclass(frozen=True)
class Services:
    """The services the chat adapter (handlers.slack) calls."""

    chat: ChatService
    answers: AnswerPool


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    engine_override: AsyncEngine | None = None

    def __post_init__(self) -> None:
        i18n.activate(self.settings.locale)

    @cached_property
    def calendar(self) -> SwedishCalendar:
        from bot.domain.calendar import swedish_calendar

        return swedish_calendar()

    @cached_property
    def rules(self) -> RulePack:
        from bot.domain.rules import load_rule_pack
        from bot.meeting_file import configured_meetings

        pack = load_rule_pack(local_dir=self.settings.rules_dir)
        return (
            pack.with_meetings(configured_meetings(self.settings)) if pack.needs_meetings else pack
        )

    @cached_property
    def engine(self) -> AsyncEngine:
        from storage.database import create_engine

        return self.engine_override or create_engine(self.settings.database_url)

    @cached_property
    def unit_of_work(self) -> SqlUnitOfWork:
        from storage.database import session_factory
        from storage.unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(session_factory(self.engine))

    @cached_property
    def answer_pool(self) -> AnswerPool:
        """The one pool that builds answers to questions (Slack and Teams): never more workers
        than the database pool has connections, so answers cannot exhaust it."""
        from bot.services.answer_pool import AnswerPool
        from storage.database import pool_size

        workers = self.settings.answer_workers
        limit = pool_size(self.engine)
        return AnswerPool(min(workers, limit) if limit else workers, self.settings.answer_queue)

    @property
    def worker_id(self) -> str:
        """This process, as it names itself in the outbox and the runtime state."""
        return f"{socket.gethostname()}:{os.getpid()}"

    @cached_property
    def pseudonymiser(self) -> Pseudonymiser:
        from bot.domain.pseudonym import Pseudonymiser

        key = self.settings.pseudonym_key
        if key is None:
            raise SettingsError(
                _(
                    "The setting FRISTER_PSEUDONYM_KEY is missing: set a secret of at least "
                    "32 characters (see .env.example)."
                )
            )
        return Pseudonymiser(key.get_secret_value(), self.settings.pseudonym_length)

    @cached_property
    def sending(self) -> SendingTime:
        from bot.domain.ladder import SendingTime

        return SendingTime(self.settings.send_at, self.settings.tz)

    @cached_property
    def window(self) -> SendingWindow:
        from bot.services.planner import SendingWindow

        return SendingWindow(
            self.settings.send_at, self.settings.send_end, self.settings.tz, self.calendar
        )

    @cached_property
    def notices(self) -> Notices:
        from bot.services.notices import Notices

        return Notices(self.rules)

    @cached_property
    def ladders(self) -> LadderCache:
        """Shared by every planner of this app (the rule pack is the app's too)."""
        from bot.services.planner import LadderCache

        return LadderCache()

    def planner(self) -> Planner:
        from bot.services.planner import Planner

        return Planner(
            self.unit_of_work,
            self.rules,
            self.calendar,
            self.sending,
            self.window,
            self.clock,
            self.settings.admin_channel,
            ladders=self.ladders,
        )

    @property
    def limits(self) -> Limits:
        """The chat platform's limits (FRISTER_PLATFORM: pacing, pages, replay memory)."""
        from handlers.slack.limits import SLACK_LIMITS
        from handlers.teams.limits import TEAMS_LIMITS

        return TEAMS_LIMITS if self.settings.platform == "teams" else SLACK_LIMITS

    def delivery(self, messenger: Messenger, worker: str | None = None, **kwargs: Any) -> Delivery:
        from bot.services.delivery import Delivery, DeliveryPolicy

        kwargs.setdefault(
            "policy",
            DeliveryPolicy(
                lease=timedelta(seconds=self.settings.delivery_lease_seconds),
                digest=self.settings.digest,
            ),
        )
        return Delivery(
            self.unit_of_work,
            messenger,
            self.limits,
            self.notices,
            self.clock,
            self.window,
            worker or self.worker_id,
            self.settings.admin_channel,
            **kwargs,
        )

    def watchdog(self) -> IntakeWatchdog:
        from bot.services.watchdog import IntakeWatchdog, WatchdogPolicy

        every = self.settings.import_every_hours
        return IntakeWatchdog(
            self.unit_of_work,
            self.calendar,
            self.clock,
            self.settings.tz,
            WatchdogPolicy(
                min_days=self.settings.watchdog_min_days,
                min_expected=self.settings.watchdog_min_expected,
                import_every=timedelta(hours=every) if every else None,
            ),
            self.settings.admin_channel,
        )

    def monthly_reports(self) -> MonthlyReports:
        from bot.services.report_poster import MonthlyReports

        return MonthlyReports(self.unit_of_work, self.calendar, self.clock, self.settings.tz)

    def workload_watch(self) -> WorkloadWatch:
        from bot.services.workload_watch import WorkloadWatch

        return WorkloadWatch(
            self.unit_of_work, self.rules, self.calendar, self.clock, self.settings.tz
        )

    def importer(self, new_units: Iterable[str] | None = None) -> CaseImporter:
        """The case import; with `new_units` it creates no enhet but those (else any)."""
        from bot.domain.delegation import DelegationMode
        from bot.services.importer import CaseImporter

        return CaseImporter(
            self.unit_of_work,
            self.rules,
            self.calendar,
            self.pseudonymiser,
            self.clock,
            self.settings.tz,
            DelegationMode(self.settings.delegation_mode),
            self.settings.admin_channel,
            new_units,
        )

    def chat(self) -> ChatService:
        from bot.chat.service import ChatService
        from bot.domain.delegation import DelegationMode

        return ChatService(
            self.unit_of_work,
            self.rules,
            self.calendar,
            self.sending,
            self.clock,
            self.limits,
            self.settings.pseudonym_length,
            DelegationMode(self.settings.delegation_mode),
            self.settings.admin_channel,
        )

    def services(self) -> Services:
        """What the chat adapter calls (handlers.slack.app.build(services, ...))."""
        return Services(chat=self.chat(), answers=self.answer_pool)

    def address_book(self) -> SqlAddressBook:
        """Where Teams reaches people and channels proactively."""
        from storage.addresses import SqlAddressBook
        from storage.database import session_factory

        return SqlAddressBook(session_factory(self.engine))

    def staff_importer(self) -> StaffImporter:
        from bot.services.staff import StaffImporter

        return StaffImporter(self.unit_of_work, self.clock)

    async def prepare_database(self) -> None:
        """Migrate the embedded SQLite default on start; ask for `db upgrade` on PostgreSQL."""
        from storage.database import is_current, upgrade_if_needed
        from storage.schema_errors import SchemaOutdated

        if self.settings.is_sqlite:
            await upgrade_if_needed(self.engine)
            return
        if not await is_current(self.engine):
            raise SchemaOutdated(
                _("The database schema is not up to date: run `frister db upgrade` first.")
            )

    async def optimize_database(self, *, bulk: bool = False) -> None:
        """Refresh the query planner's statistics (daily, and after an import: `bulk`)."""
        from storage.database import optimize

        await optimize(self.engine, bulk=bulk)

    async def close(self) -> None:
        if "answer_pool" in self.__dict__:
            await self.answer_pool.stop()
        if "engine" in self.__dict__ and self.engine_override is None:
            await self.engine.dispose()
