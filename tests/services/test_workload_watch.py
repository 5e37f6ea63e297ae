"""Early warnings on the in-memory ports: an utredning at risk fires on its day, not before and
not on a holiday, once; a doubled 14-day load warns the chef."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.domain.messages import message_from_json
from bot.domain.roles import Role
from bot.services.workload_watch import WorkloadWatch
from tests.services.conftest import NORD, TZ, World

ANNA, DAN = "U0ANNA001", "U0DAN0001"


def watch(world: World) -> WorkloadWatch:
    return WorkloadWatch(world.uow, world.pack, world.calendar, world.clock, TZ)


async def on(world: World, day: date) -> int:
    world.clock.set(datetime.combine(day, time(9, 0), TZ))
    return await watch(world).daily()


def steps(world: World, prefix: str) -> list[str]:
    return [n.step for n in world.uow.data.notifications.values() if n.step.startswith(prefix)]


async def test_at_risk_fires_on_its_day_not_on_a_holiday(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (DAN, Role.CHEF, NORD))
    # Utredning from Monday 5 Oct 2026: last day Friday 5 Feb 2027, 123 days; less than a
    # quarter (30,75 days) is left from 6 Jan, trettondedag jul, so it fires on 7 Jan.
    await world.case("K7QM-3XTP", ANNA, [("utredning_inledd", date(2026, 10, 5))])
    assert await on(world, date(2027, 1, 5)) == 0  # 31 days left
    assert await on(world, date(2027, 1, 6)) == 0  # a holiday: nothing runs
    assert steps(world, "risk:") == []
    assert await on(world, date(2027, 1, 7)) == 1
    (row,) = [n for n in world.uow.data.notifications.values() if n.step.startswith("risk:")]
    assert row.recipient.startswith("person:")
    assert row.payload is not None
    message = message_from_json(row.payload)
    assert "K7QM-3XTP" in message.title and "5 oktober 2026" in message.text
    assert await on(world, date(2027, 1, 8)) == 0  # planned once


async def test_progress_postpones_the_warning(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (DAN, Role.CHEF, NORD))
    await world.case(
        "K7QM-3XTP",
        ANNA,
        [
            ("utredning_inledd", date(2026, 10, 5)),
            ("utredning_information_lamnad", date(2026, 12, 21)),
        ],
    )
    # The last progress is 21 Dec: three weeks later is Monday 11 Jan.
    for day in (date(2027, 1, 7), date(2027, 1, 8)):
        assert await on(world, day) == 0
    assert await on(world, date(2027, 1, 11)) == 1


async def test_doubled_load_warns_once(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (DAN, Role.CHEF, NORD))
    # Monday 23 Nov: one förhandsbedömning due 4 Dec (weight 1, with its skyddsbedömning
    # overdue: 14-day load 2).
    await world.case("K7QM-3XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    assert await on(world, date(2026, 11, 23)) == 0
    # Wednesday: two more anmälningar: 14-day load 6 ≥ 2 × 2.
    world.clock.set(datetime.combine(date(2026, 11, 25), time(9, 0), TZ))
    await world.case("K7QM-4XTP", ANNA, [("anmalan_inkom", date(2026, 11, 24))])
    await world.case("K7QM-5XTP", ANNA, [("anmalan_inkom", date(2026, 11, 25))])
    assert await on(world, date(2026, 11, 25)) == 1
    assert await on(world, date(2026, 11, 26)) == 0  # once per person and week
    (step,) = steps(world, "belastning-dubbel:")
    assert step.endswith(":2026-W48")


async def test_weekly_once_per_chef_and_week(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (DAN, Role.CHEF, NORD))
    await world.case("K7QM-3XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    world.clock.set(datetime(2026, 11, 23, 7, 59, tzinfo=TZ))
    assert await watch(world).weekly_if_due() == 0  # before 08:00
    world.clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=TZ))
    assert await watch(world).weekly_if_due() == 1
    assert await watch(world).weekly_if_due() == 0
    world.clock.advance(timedelta(days=2))
    assert await watch(world).weekly_if_due() == 0  # the same week
    world.clock.advance(timedelta(days=5))
    assert await watch(world).weekly_if_due() == 1  # Monday 30 Nov
    rows = sorted(
        (n for n in world.uow.data.notifications.values() if n.step.startswith("belastning:")),
        key=lambda n: n.id,
    )
    assert [r.step.split(":")[1] for r in rows] == ["2026-W48", "2026-W49"]
    first, second = (message_from_json(r.payload or "") for r in rows)
    assert "Inget att jämföra med" in first.text
    assert "Sedan förra veckan" in second.text
