"""The intake watchdog on the in-memory ports: a silence alarms once; a stale import too."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.roles import Role
from bot.ports.cases import NewEvent
from bot.services.watchdog import IMPORT_STATE, WatchdogPolicy
from tests.services.conftest import ADMIN, NORD, World


async def intake_until(world: World, last: date) -> None:
    """One orosanmälan every working day of the last eight weeks, up to `last`."""
    case_id = await world.case("ABC-1", "U0ANNA001", [])
    day, events = world.today - timedelta(weeks=8), []
    while day <= last:
        if world.calendar.is_working_day(day):
            events.append(NewEvent(case_id, "anmalan_inkom", day, "test"))
        day += timedelta(days=1)
    async with world.uow() as uow:
        await uow.cases.add_events(events, world.clock.now())


async def test_a_silent_unit_alarms_its_chef_and_the_admin_channel_once(world: World) -> None:
    ids = await world.staff(("U0DAN0001", Role.CHEF, NORD))
    await intake_until(world, date(2026, 11, 16))  # then nothing for four working days

    silences = await world.watchdog().check()
    again = await world.watchdog().check()

    assert [(s.enhet, s.last_intake, s.silent_days) for s in silences] == [
        (NORD, date(2026, 11, 16), 4)
    ]
    assert len(again) == 1  # still silent, but the alarm is not planned twice
    rows = [n for n in world.uow.data.notifications.values() if n.step.startswith("larm:intag")]
    assert sorted(n.recipient for n in rows) == sorted(
        [f"person:{ids['U0DAN0001']}", f"channel:{ADMIN}"]
    )
    assert [r.action for r in world.uow.data.audit] == ["larm_inflode"]


async def test_a_steady_inflow_is_quiet(world: World) -> None:
    await intake_until(world, world.today - timedelta(days=1))

    assert await world.watchdog().check() == []
    assert world.uow.data.notifications == {}


async def test_an_import_that_has_not_run_alarms_the_admin_channel(world: World) -> None:
    async with world.uow() as uow:
        await uow.outbox.set_state(IMPORT_STATE, "x", world.clock.now() - timedelta(hours=30))

    await world.watchdog(WatchdogPolicy(import_every=timedelta(hours=24))).check()
    await world.watchdog(WatchdogPolicy(import_every=timedelta(hours=24))).check()

    rows = [n for n in world.uow.data.notifications.values() if n.step.startswith("larm:import")]
    assert [n.recipient for n in rows] == [f"channel:{ADMIN}"]
