"""The monthly egenkontroll on the in-memory ports: on the first working day, once per enhet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.roles import Role
from tests.services.conftest import ESCALATION, NORD, World


async def test_last_month_s_report_goes_to_the_escalation_channel_once(world: World) -> None:
    await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", date(2026, 11, 2))])
    world.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday 1 December

    first = await world.monthly_reports().post_if_due()
    again = await world.monthly_reports().post_if_due()

    assert (first, again) == (1, 0)
    [row] = world.uow.data.notifications.values()
    assert (row.step, row.recipient) == ("rapport:1:2026-11", f"channel:{ESCALATION}")
    assert row.payload is not None and "Egenkontroll" in row.payload


async def test_nothing_on_other_days(world: World) -> None:
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", date(2026, 11, 2))])
    world.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(days=1))

    assert await world.monthly_reports().post_if_due() == 0


async def test_the_first_run_of_a_month_freezes_last_month(world: World) -> None:
    """Even on a day nothing is posted, last month's figures are stored as they were."""
    await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", date(2026, 11, 2))])
    world.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # a Saturday

    assert await world.monthly_reports().post_if_due() == 0

    assert set(world.uow.data.snapshots) == {(NORD, date(2026, 11, 1))}
    assert world.uow.data.notifications == {}


async def test_the_post_carries_the_chart(world: World) -> None:
    from bot.domain.messages import message_from_json

    await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", date(2026, 11, 2))])
    world.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    await world.monthly_reports().post_if_due()

    [row] = world.uow.data.notifications.values()
    assert row.payload is not None
    image = message_from_json(row.payload).image
    assert image is not None and image.data.startswith(b"\x89PNG")
    assert image.filename == "egenkontroll-2026-11.png"
