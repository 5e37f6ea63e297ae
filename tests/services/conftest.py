"""Fast service tests: the real use cases on the in-memory ports (bot/testing/memory/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.domain.calendar import SwedishCalendar, swedish_calendar
from bot.domain.deadlines import derive_deadlines, reconcile
from bot.domain.ladder import SendingTime
from bot.domain.roles import Role
from bot.domain.rules import RulePack, load_rule_pack
from bot.domain.staff import StaffMember
from bot.ports.cases import NewEvent
from bot.ports.messenger import Limits
from bot.services.delivery import Delivery, DeliveryPolicy
from bot.services.notices import Notices
from bot.services.planner import Planner, SendingWindow
from bot.services.report_poster import MonthlyReports
from bot.services.staff import StaffImporter
from bot.services.watchdog import IntakeWatchdog, WatchdogPolicy
from bot.testing.memory import MemoryMessenger, MemoryUnitOfWork

TZ = ZoneInfo("Europe/Stockholm")
NORD = "Barn och unga Nord"
ADMIN = "C0ADMIN"
ESCALATION = "C0ESKNORD"
LIMITS = Limits(
    pace=0.0,
    max_pages=5,
    page_chars=36_000,
    paragraphs_per_page=40,
    paragraph_chars=2800,
    lines_per_paragraph=15,
    replay_memory=timedelta(minutes=10),
)
PACK = load_rule_pack()


@dataclass
class World:
    """The in-memory unit of work, a clock and the services wired as bootstrap wires them."""

    clock: FixedClock
    uow: MemoryUnitOfWork = field(default_factory=MemoryUnitOfWork)
    pack: RulePack = PACK
    calendar: SwedishCalendar = field(default_factory=swedish_calendar)
    messenger: MemoryMessenger = field(default_factory=MemoryMessenger)
    slept: list[float] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.clock.now().astimezone(TZ).date()

    @property
    def window(self) -> SendingWindow:
        return SendingWindow(time(8, 0), time(17, 0), TZ, self.calendar)

    def planner(self) -> Planner:
        return Planner(
            self.uow,
            self.pack,
            self.calendar,
            SendingTime(time(8, 0), TZ),
            self.window,
            self.clock,
            ADMIN,
        )

    def delivery(self, limits: Limits = LIMITS, policy: DeliveryPolicy | None = None) -> Delivery:
        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.clock.advance(timedelta(seconds=seconds))

        return Delivery(
            self.uow,
            self.messenger,
            limits,
            Notices(self.pack),
            self.clock,
            self.window,
            "w1",
            ADMIN,
            policy or DeliveryPolicy(base_backoff=60),
            sleep=sleep,
        )

    def watchdog(self, policy: WatchdogPolicy | None = None) -> IntakeWatchdog:
        return IntakeWatchdog(
            self.uow, self.calendar, self.clock, TZ, policy or WatchdogPolicy(), ADMIN
        )

    def monthly_reports(self) -> MonthlyReports:
        return MonthlyReports(self.uow, self.calendar, self.clock, TZ)

    def staff_importer(self) -> StaffImporter:
        return StaffImporter(self.uow, self.clock)

    async def staff(self, *members: tuple[str, Role, str | None]) -> dict[str, int]:
        """Store staff (chat id, role, enhet); returns their ids by chat id."""
        async with self.uow() as uow:
            await uow.cases.upsert_staff(
                [StaffMember(chat_user_id=c, role=r, enhet=e) for c, r, e in members],
                self.clock.now(),
            )
            found = {c: await uow.chat.staff_by_chat_id(c) for c, _r, _e in members}
        return {c: member.id for c, member in found.items() if member and member.id}

    async def case(self, code: str, owner: str, events: list[tuple[str, date]]) -> int:
        """A case of NORD owned by `owner` (a chat id) with its events and derived deadlines."""
        now = self.clock.now()
        async with self.uow() as uow:
            units = await uow.cases.ensure_units([NORD], now)
            await uow.cases.set_escalation_channel(NORD, ESCALATION, now)
            staff = await uow.cases.ensure_staff([(owner, units[NORD])], now)
            case = await uow.cases.add_case(code, None, units[NORD], staff[owner], "test", now)
            await uow.cases.add_events(
                [NewEvent(case.id, kind, day, "test") for kind, day in events], now
            )
            stored = (await uow.cases.events_of([case.id])).get(case.id, [])
            derived = derive_deadlines(stored, self.pack, self.calendar)
            await uow.cases.apply_deadline_changes({case.id: reconcile(derived, [])}, now)
        return case.id


@pytest.fixture
def world() -> World:
    # Monday 23 November 2026, 10:00 in Stockholm: a working day, inside the sending window.
    return World(FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
