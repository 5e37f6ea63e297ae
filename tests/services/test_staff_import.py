"""The staff register import on the in-memory ports: all or nothing, platform user ids."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.roles import Role
from bot.services.staff import StaffImportAborted
from tests.services.conftest import NORD, World

HEADER = "anvandare;epost;roll;enhet;ersattare\n"
ENTRA_ID = "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c"
ID_ERROR = (
    "anvandare ska vara ett användar-id från chatten (Slack: U… eller W…, Teams: Entra-objekt-id)"
)


async def test_refuses_a_personnummer_row_and_stores_nothing(world: World) -> None:
    text = HEADER + (
        f"U0ANNA001;anna@kommun.se;handläggare;{NORD};\n"
        f"U0BO00001;bo@kommun.se;handläggare;{NORD} 19121212-1212;\n"
    )

    with pytest.raises(StaffImportAborted) as aborted:
        await world.staff_importer().run(text)

    errors = aborted.value.report.errors
    assert [(e.line, "personnummer" in e.message) for e in errors] == [(3, True)]
    assert "19121212" not in errors[0].message
    assert world.uow.data.staff == {} and world.uow.data.audit == []


async def test_accepts_slack_and_entra_user_ids(world: World) -> None:
    text = HEADER + (
        f"U0ANNA001;anna@kommun.se;handläggare;{NORD};{ENTRA_ID}\n"
        f"W0BO00001;bo@kommun.se;chef;{NORD};\n"
        f"{ENTRA_ID};eva@kommun.se;handläggare;{NORD};\n"
    )

    report = await world.staff_importer().run(text)

    assert (report.rows, report.stored) == (3, 3)
    async with world.uow() as uow:
        anna = await uow.chat.staff_by_chat_id("U0ANNA001")
        eva = await uow.chat.staff_by_chat_id(ENTRA_ID)
        bo = await uow.chat.staff_by_chat_id("W0BO00001")
    assert anna is not None and eva is not None and bo is not None
    assert anna.substitute_id == eva.id and bo.role is Role.CHEF and anna.enhet == NORD


@pytest.mark.parametrize(
    "user", ["anna", "u0anna001", "U0A", "anna@kommun.se", "3f2b8c1e-9a4d-4e7b-8c2a", "D0ANNA001"]
)
async def test_refuses_anything_else_as_a_user_id(world: World, user: str) -> None:
    text = HEADER + f"{user};anna@kommun.se;handläggare;{NORD};\n"

    with pytest.raises(StaffImportAborted) as aborted:
        await world.staff_importer().run(text)

    assert [(e.line, e.message) for e in aborted.value.report.errors] == [(2, ID_ERROR)]
    assert world.uow.data.staff == {}


async def test_an_absence_registered_in_chat_is_kept(world: World) -> None:
    ids = await world.staff(
        ("U0ANNA001", Role.HANDLAGGARE, NORD), ("U0BO00001", Role.HANDLAGGARE, NORD)
    )
    async with world.uow() as uow:
        await uow.chat.set_absence(
            ids["U0ANNA001"],
            world.today,
            world.today + timedelta(days=3),
            ids["U0BO00001"],
            world.clock.now(),
        )

    await world.staff_importer().run(HEADER + f"U0ANNA001;anna@kommun.se;chef;{NORD};\n")

    anna = world.uow.data.staff[ids["U0ANNA001"]]
    assert (anna.role, anna.absent_from, anna.substitute_id) == (
        Role.CHEF,
        world.today,
        ids["U0BO00001"],
    )
