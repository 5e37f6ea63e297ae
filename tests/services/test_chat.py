"""The chat service on the in-memory ports: answers, access and changes, without a database."""

from __future__ import annotations

from datetime import date, time

from bot.chat.service import ChatService
from bot.domain.ladder import SendingTime
from bot.domain.roles import Role
from bot.ports.conversation import Caller
from tests.services.conftest import LIMITS, NORD, TZ, World

ANNA, BO, DAN = "U0ANNA001", "U0BO00001", "U0DAN0001"


def chat(world: World) -> ChatService:
    return ChatService(
        world.uow, world.pack, world.calendar, SendingTime(time(8, 0), TZ), world.clock, LIMITS
    )


def text(answer) -> str:
    return "\n".join(m.text for m in answer.messages)


async def test_my_deadlines(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD))
    await world.case("K7QM-3XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    answer = await chat(world).command(Caller(ANNA), "")
    assert "K7QM-3XTP" in text(answer)
    assert not answer.public


async def test_a_stranger_is_told_and_audited(world: World) -> None:
    answer = await chat(world).command(Caller("U0NOBODY1"), "")
    assert "personalregister" in text(answer)
    assert [entry.action for entry in world.uow.data.audit] == ["atkomst_nekad"]


async def test_others_case_is_refused(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (BO, Role.HANDLAGGARE, NORD))
    await world.case("K7QM-3XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    answer = await chat(world).command(Caller(BO), "ärende K7QM-3XTP")
    assert "K7QM-3XTP" not in text(answer)
    assert "inte behörighet" in text(answer)


async def test_mark_done_closes_the_deadline_once(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD))
    case_id = await world.case("K7QM-3XTP", ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    service = chat(world)
    first = await service.command(Caller(ANNA), "klar K7QM-3XTP förhandsbedömning")
    again = await service.command(Caller(ANNA), "klar K7QM-3XTP förhandsbedömning")
    statuses = {
        f.rule_id: f.status for f in world.uow.data.deadlines.values() if f.case_id == case_id
    }
    assert statuses["forhandsbedomning"] == "done", text(first)
    assert text(again) != text(first)  # the second time: nothing left to close


async def test_an_identity_number_is_refused_and_nothing_is_stored(world: World) -> None:
    await world.staff((DAN, Role.CHEF, NORD))
    before = len(world.uow.data.audit)
    answer = await chat(world).command(Caller(DAN), "ärende 19121212-1212")
    assert "personnummer" in text(answer)
    assert len(world.uow.data.audit) == before
    assert "19121212" not in repr(world.uow.data)
