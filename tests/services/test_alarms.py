"""Alarms to the chefs and the admin channel: planned through the outbox, once per step."""

from __future__ import annotations

from bot.domain.messages import Message
from bot.domain.roles import Role
from bot.services.alarms import alarm_chefs
from tests.services.conftest import ADMIN, ESCALATION, NORD, World

ALARM = Message(text="Något behöver ses över.", title="Larm")


async def test_alarm_to_the_chefs_and_the_admin_channel_once_per_step(world: World) -> None:
    ids = await world.staff(("U0DAN0001", Role.CHEF, NORD), ("U0DORA001", Role.CHEF, NORD))
    enhet_id = world.uow.data.staff[ids["U0DAN0001"]].enhet_id
    assert enhet_id is not None

    async with world.uow() as uow:
        first = await alarm_chefs(
            uow, enhet_id, "larm:test:1", ALARM, world.clock.now(), world.today, ADMIN
        )
    async with world.uow() as uow:
        again = await alarm_chefs(
            uow, enhet_id, "larm:test:1", ALARM, world.clock.now(), world.today, ADMIN
        )

    assert (first, again) == (3, 0)
    recipients = sorted(n.recipient for n in world.uow.data.notifications.values())
    assert recipients == sorted(
        [f"person:{ids['U0DAN0001']}", f"person:{ids['U0DORA001']}", f"channel:{ADMIN}"]
    )


async def test_without_a_chef_the_alarm_goes_to_the_escalation_channel(world: World) -> None:
    await world.case("ABC-1", "U0ANNA001", [])  # creates the enhet with its escalation channel
    enhet_id = next(iter(world.uow.data.units))

    async with world.uow() as uow:
        planned = await alarm_chefs(
            uow, enhet_id, "larm:test:2", ALARM, world.clock.now(), world.today, None
        )

    assert planned == 1
    assert [n.recipient for n in world.uow.data.notifications.values()] == [f"channel:{ESCALATION}"]
