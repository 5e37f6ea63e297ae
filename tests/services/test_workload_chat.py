"""`/frister belastning` on the in-memory ports: who may ask, what the answer shows."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import commands as cmd
from bot.domain.roles import Role
from bot.ports.conversation import Caller
from tests.services.conftest import NORD, World
from tests.services.test_chat import chat, text

SYD = "Barn och unga Syd"
EVA = "U0EVA0001"
ANNA, BO, CECI, DAN, FILIP, GUN, ADA = (
    "U0ANNA001",
    "U0BO00001",
    "U0CECI001",
    "U0DAN0001",
    "U0FILIP01",
    "U0GUN0001",
    "U0ADA0001",
)


async def people(world: World) -> None:
    await world.staff(
        (ANNA, Role.HANDLAGGARE, NORD),
        (BO, Role.HANDLAGGARE, NORD),
        (EVA, Role.HANDLAGGARE, NORD),
        (CECI, Role.FORSTE_SOCIALSEKRETERARE, NORD),
        (DAN, Role.CHEF, NORD),
        (FILIP, Role.CHEF, SYD),
        (GUN, Role.SOCIALCHEF, None),
        (ADA, Role.ADMIN, None),
    )
    # Anna: an utredning (3) with its information duty (0,5, overdue), a skyddsbedömning (1,
    # overdue) and a förhandsbedömning (1, 4 Dec): 5,5. Bo: a skyddsbedömning (1, overdue) and
    # a förhandsbedömning (1, 3 Dec): 2.
    await world.case("K7QM-3XTP", ANNA, [("utredning_inledd", date(2026, 10, 1))])
    await world.case("K7QM-4XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    await world.case("K7QM-5XTP", BO, [("anmalan_inkom", date(2026, 11, 19))])


def test_parse():
    assert cmd.parse("belastning") == cmd.Workload()
    assert cmd.parse("Belastning barn och unga nord") == cmd.Workload("barn och unga nord")
    assert cmd.parse("bel") == cmd.Workload()


@pytest.mark.parametrize(
    ("who", "asked", "shown"),
    [
        (ANNA, "belastning", False),
        (CECI, "belastning", True),
        (DAN, "belastning", True),
        (DAN, f"belastning {SYD}", False),
        (FILIP, f"belastning {NORD}", False),
        (GUN, f"belastning {NORD}", True),
        (GUN, "belastning", True),
        (ADA, "belastning", False),
    ],
)
async def test_access(world: World, who: str, asked: str, shown: bool) -> None:
    await people(world)
    answer = await chat(world).command(Caller(who), asked)
    assert not answer.public
    assert ("Arbetsbelastning" in text(answer) and NORD in text(answer)) is shown, text(answer)
    if not shown:
        assert "inte behörighet" in text(answer)


async def test_answer_figures(world: World) -> None:
    await people(world)
    answer = await chat(world).command(Caller(DAN), "belastning")
    body = text(answer)
    lines = {line.split(":")[0]: line for line in body.splitlines()}
    anna = next(line for key, line in lines.items() if ANNA in key)
    bo = next(line for key, line in lines.items() if BO in key)
    assert "belastning 5,5 " in anna and "utredningar 1 " in anna, anna
    assert "7/14/28 dagar 0/1/1 · försenade 2 " in anna, anna
    assert "belastning 2 " in bo and "försenade 1 " in bo, bo
    # median of Anna 5,5, Bo 2 and Eva 0 is 2: threshold 3; Anna is above it, Eva (holding
    # nothing) has the most room. Cecilia, a 1:e socialsekreterare holding nothing, and the
    # chef are not listed.
    assert "Tröskel 3 (1,5 × medianen 2)" in body and "över tröskeln" in anna
    assert "Mest utrymme" in body and EVA in body.split("Mest utrymme")[1]
    assert CECI not in body and DAN not in body
