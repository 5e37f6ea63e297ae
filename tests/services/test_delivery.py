"""Delivery on the in-memory ports: sent once, retried on transient failures, a permanent
failure recorded and reported to the escalation and admin channels; paced by the platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.roles import Role
from bot.ports.messenger import PermanentFailure, TransientFailure
from tests.services.conftest import ADMIN, ESCALATION, LIMITS, NORD, World


async def reminder_due(world: World) -> int:
    """Anna's skyddsbedömning reminder, planned; returns Anna's id."""
    ids = await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD), ("U0DAN0001", Role.CHEF, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", world.today)])
    await world.planner().tick()
    return ids["U0ANNA001"]


def states(world: World) -> dict[str, str]:
    return {n.recipient: n.state for n in world.uow.data.notifications.values()}


async def test_sends_what_is_due_and_marks_it_sent(world: World) -> None:
    anna = await reminder_due(world)

    result = await world.delivery().run_once()

    assert result.sent == 2 and result.failed == 0
    assert {p.channel for p in world.messenger.posted} == {"D-U0ANNA001", "D-U0DAN0001"}
    assert "ABC-1" in world.messenger.posted[0].message.text
    assert states(world)[f"person:{anna}"] == "sent"
    actions = [r.action for r in world.uow.data.audit]
    assert actions.count("meddelande_levererat") == 2
    assert (await world.delivery().run_once()).sent == 0  # nothing is sent twice


async def test_a_transient_failure_is_retried_later(world: World) -> None:
    anna = await reminder_due(world)
    world.messenger.fail_next(TransientFailure("timeout", maybe_delivered=False))

    result = await world.delivery().run_once()

    assert result.retried == 1 and result.sent == 1
    row = next(n for n in world.uow.data.notifications.values() if n.recipient == f"person:{anna}")
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "timeout")
    assert row.next_attempt_at > world.clock.now()

    world.clock.set(row.next_attempt_at)
    assert (await world.delivery().run_once()).sent == 1
    assert states(world)[f"person:{anna}"] == "sent"


async def test_a_permanent_failure_is_recorded_and_reported(world: World) -> None:
    anna = await reminder_due(world)
    world.messenger.fail_next(PermanentFailure("user_not_found"))

    result = await world.delivery().run_once()

    assert result.failed == 1
    assert states(world)[f"person:{anna}"] == "failed"
    reports = {
        n.recipient for n in world.uow.data.notifications.values() if n.step.startswith("fel:")
    }
    assert reports == {f"channel:{ESCALATION}", f"channel:{ADMIN}"}
    assert "meddelande_misslyckat" in [r.action for r in world.uow.data.audit]

    await world.delivery().run_once()  # the failure reports go out
    reported = [p for p in world.messenger.posted if p.channel in (ESCALATION, ADMIN)]
    assert len(reported) == 2
    assert "U0ANNA001" in reported[0].message.text and "user_not_found" in reported[0].message.text


async def test_paced_by_the_platform_s_limits(world: World) -> None:
    await world.staff(("U0ANNA001", Role.HANDLAGGARE, NORD))
    await world.case("ABC-1", "U0ANNA001", [("anmalan_inkom", world.today)])
    await world.case("ABC-2", "U0ANNA001", [("anmalan_inkom", world.today)])
    await world.planner().tick()

    await world.delivery(replace(LIMITS, pace=1.5)).run_once()

    to_anna = [p for p in world.messenger.posted if p.channel == "D-U0ANNA001"]
    assert len(to_anna) == 2
    assert world.slept == [1.5]  # the second message to Anna waited for the platform's pace


async def test_outside_the_sending_window_nothing_goes_to_people(world: World) -> None:
    await reminder_due(world)
    world.clock.advance(timedelta(hours=10))  # 20:00 in Stockholm

    result = await world.delivery().run_once()

    assert result.sent == 0 and world.messenger.posted == []
