"""Planning on the in-memory ports: each due rung is planned once, to whoever has the role."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from tests.services.conftest import ESCALATION, NORD, World


async def planned(world: World) -> list[tuple[str, str, str | None]]:
    """(step, recipient, reason) of every planned row, in order of planning."""
    return [
        (n.step, n.recipient, n.reason)
        for n in world.uow.data.notifications.values()
        if n.state == "pending"
    ]


async def test_plans_a_due_reminder_once(world: World) -> None:
    ids = await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", world.today)])

    first = await world.planner().tick()
    rows = await planned(world)
    # Skyddsbedömning is due at once: the reminder to Anna, the escalation to the enhet's
    # channel (it has no chef).
    assert [(step[:4], recipient, reason) for step, recipient, reason in rows] == [
        ("pam:", f"person:{ids['U0ANNA001']}", None),
        ("esk:", f"channel:{ESCALATION}", "ingen_chef"),
    ]
    assert first.planned == 2

    again = await world.planner().tick()
    assert again.planned == 0
    assert await planned(world) == rows


async def test_an_absent_handlaggare_s_reminder_goes_to_the_substitute(world: World) -> None:
    ids = await world.staff(
        ("U0ANNA001", Role.HANDLAGGARE, NORD),
        ("U0BO00001", Role.HANDLAGGARE, NORD),
    )
    async with world.uow() as uow:
        await uow.chat.set_absence(
            ids["U0ANNA001"],
            world.today,
            world.today + timedelta(days=7),
            ids["U0BO00001"],
            world.clock.now(),
        )
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", world.today)])

    await world.planner().tick()

    recipients = {(recipient, reason) for _step, recipient, reason in await planned(world)}
    assert (f"person:{ids['U0BO00001']}", "ersattare") in recipients
    assert not any(r == f"person:{ids['U0ANNA001']}" for r, _reason in recipients)


async def test_a_case_without_an_active_handlaggare_goes_to_the_chef(world: World) -> None:
    ids = await world.staff(("U0DAN0001", Role.CHEF, NORD))
    async with world.uow() as uow:  # the handläggare has left
        await uow.cases.upsert_staff(
            [
                StaffMember(
                    chat_user_id="U0ANNA001", role=Role.HANDLAGGARE, enhet=NORD, active=False
                )
            ],
            world.clock.now(),
        )
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", world.today)])

    await world.planner().tick()

    rows = await planned(world)
    assert (f"person:{ids['U0DAN0001']}", "saknar_handlaggare") in {
        (recipient, reason) for step, recipient, reason in rows if step.startswith("saknar")
    }
