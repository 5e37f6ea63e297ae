"""Intake-silence watchdog on simulated weeks of inflow."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.domain.calendar import swedish_calendar
from bot.services.watchdog import IntakeWatchdog, WatchdogPolicy, find_silences
from storage.database import session_factory, transaction
from storage.models import Notification
from tests.factories import add_person

CAL = swedish_calendar()
POLICY = WatchdogPolicy()
STHLM = ZoneInfo("Europe/Stockholm")


def inflow(start: date, end: date, per_day: float, seed: int = 1) -> dict[date, int]:
    """Anmälningar per working day from start to end (inclusive), Poisson-ish around per_day."""
    rng = random.Random(seed)
    counts: dict[date, int] = {}
    day = start
    while day <= end:
        if CAL.is_working_day(day):
            n = sum(1 for _ in range(20) if rng.random() < per_day / 20)
            if n:
                counts[day] = n
        day += timedelta(days=1)
    return counts


def silences(counts: dict[date, int], today: date, policy: WatchdogPolicy = POLICY):
    last = max(counts) if counts else None
    return find_silences({1: counts}, {1: last}, {1: "Nord"}, today, CAL, policy)


def test_sudden_stop_alerts_within_configured_days():
    # Busy unit (~5 a day) whose e-service dies after Friday 6 November 2026.
    counts = inflow(date(2026, 9, 1), date(2026, 11, 6), 5.0)
    counts[date(2026, 11, 6)] = 4
    assert silences(counts, date(2026, 11, 9)) == []  # Monday: 0 working days silent yet
    assert silences(counts, date(2026, 11, 10)) == []  # Tuesday: only Monday silent
    (silence,) = silences(counts, date(2026, 11, 11))  # Wednesday: Mon + Tue silent
    assert silence.silent_days == 2
    assert silence.expected > 8


def test_configured_days_respected():
    counts = inflow(date(2026, 9, 1), date(2026, 11, 6), 5.0)
    counts[date(2026, 11, 6)] = 4
    policy = WatchdogPolicy(min_days=4)
    assert silences(counts, date(2026, 11, 12), policy) == []  # 3 working days
    assert len(silences(counts, date(2026, 11, 13), policy)) == 1  # 4 working days


def test_quiet_holiday_week_with_low_rate_no_alarm():
    # A small unit (~0.6 a day); last anmälan 23 December; back at work 7 January.
    counts = inflow(date(2026, 10, 15), date(2026, 12, 23), 0.6, seed=3)
    counts[date(2026, 12, 23)] = 1
    # Working days after 23 Dec up to 5 Jan: 28, 29, 30 Dec, 2, 5 Jan = 5 days -> expected ~3?
    for today in (date(2026, 12, 28), date(2026, 12, 30), date(2027, 1, 4)):
        assert silences(counts, today) == [], today


def test_low_rate_unit_no_alarm():
    counts = inflow(date(2026, 9, 1), date(2026, 11, 2), 0.2, seed=5)
    counts[date(2026, 11, 2)] = 1
    assert silences(counts, date(2026, 11, 9)) == []


def test_holidays_do_not_count_as_silence():
    # Busy unit, last anmälan Wednesday 23 December: 24-27 December are not working days.
    counts = inflow(date(2026, 10, 1), date(2026, 12, 23), 5.0)
    counts[date(2026, 12, 23)] = 3
    assert silences(counts, date(2026, 12, 28)) == []  # nothing missed on working days yet
    assert silences(counts, date(2026, 12, 29)) == []  # Monday 28 only
    assert len(silences(counts, date(2026, 12, 30))) == 1  # 28 and 29 December


@pytest.fixture
def app(settings, engine, clock) -> App:
    settings = settings.model_copy(update={"admin_channel": "C0ADMIN01"})
    return App(settings, clock=clock, engine_override=engine)


async def test_alarm_planned_once_to_chef_and_admin(app, engine, clock):
    await add_person(engine, "U0CHEF001", "chef", "Barn och unga Nord")
    counts = inflow(date(2026, 9, 14), date(2026, 11, 6), 4.0, seed=9)
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    number = 0
    for day, n in sorted(counts.items()):
        for _ in range(n):
            number += 1
            lines.append(f"IFO {number};Barn och unga Nord;U0HANDL01;anmalan_inkom;{day}")
    clock.set(datetime(2026, 11, 11, 9, 0, tzinfo=STHLM))
    await app.importer().run("\n".join(lines) + "\n")
    watchdog = IntakeWatchdog(
        app.unit_of_work, app.calendar, clock, STHLM, POLICY, app.settings.admin_channel
    )
    assert len(await watchdog.check()) == 1
    assert len(await watchdog.check()) == 1  # still silent, but planned only once
    async with transaction(session_factory(engine)) as session:
        rows = (
            (await session.execute(select(Notification).where(Notification.frist_id.is_(None))))
            .scalars()
            .all()
        )
    assert sorted(r.recipient.split(":")[0] for r in rows) == ["channel", "person"]
    assert all("Inga orosanmälningar" in r.payload for r in rows)
    assert all("kontrollera e-tjänsten och inflödet" in r.payload for r in rows)
