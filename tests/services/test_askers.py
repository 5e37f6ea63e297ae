"""The askers' memory (bot/chat/askers.py): kept for its TTL on the clock, forgotten at once by
a write through the chat service, never filled by a read that overlapped a write."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from bot.chat.askers import TTL, Askers
from bot.chat.service import ChatService
from bot.domain.ladder import SendingTime
from bot.domain.roles import Role
from bot.ports.conversation import Caller
from tests.services.conftest import LIMITS, NORD, TZ, World

ANNA, BO = "U0ANNA001", "U0BO00001"
CODE = "K7QM-3XTP"


def chat(world: World) -> ChatService:
    return ChatService(
        world.uow, world.pack, world.calendar, SendingTime(time(8, 0), TZ), world.clock, LIMITS
    )


def text(answer) -> str:
    return "\n".join(m.text for m in answer.messages)


def deactivate(world: World, chat_id: str) -> None:
    """What another process (an import) does: change the register behind the service's back."""
    person = world.uow.data.person_by_chat_id(chat_id)
    assert person is not None and person.id is not None
    world.uow.data.staff[person.id] = replace(person, active=False)


async def test_a_change_elsewhere_shows_once_the_ttl_has_passed(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD))
    await world.case(CODE, ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    service = chat(world)
    assert CODE in text(await service.command(Caller(ANNA), ""))
    deactivate(world, ANNA)
    world.clock.advance(TTL - timedelta(seconds=1))
    assert CODE in text(await service.command(Caller(ANNA), ""))  # still remembered
    world.clock.advance(timedelta(seconds=1))
    assert "personalregister" in text(await service.command(Caller(ANNA), ""))


async def test_an_absence_set_in_chat_is_seen_at_once(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD), (BO, Role.HANDLAGGARE, NORD))
    await world.case(CODE, ANNA, [("anmalan_inkom", date(2026, 11, 20))])
    service = chat(world)
    assert CODE not in text(await service.command(Caller(BO), ""))  # Bo remembered, alone
    today = world.today.isoformat()
    await service.command(Caller(ANNA), f"frånvaro {today} {today} {BO}")
    assert CODE in text(await service.command(Caller(BO), ""))  # Bo stands in for Anna now


async def test_a_role_changed_in_chat_is_seen_at_once(world: World) -> None:
    await world.staff((ANNA, Role.ADMIN, None), (BO, Role.HANDLAGGARE, NORD))
    service = chat(world)
    assert "administratör" not in text(await service.command(Caller(BO), ""))
    await service.command(Caller(ANNA), f"admin roll {BO} admin")
    assert "administratör" in text(await service.command(Caller(BO), ""))


async def test_audit_rows_of_a_question_do_not_forget(world: World) -> None:
    await world.staff((ANNA, Role.HANDLAGGARE, NORD))
    service = chat(world)
    before = service.context.askers.generation
    answer = text(await service.command(Caller(ANNA), "team"))  # refused, and audited
    assert "behörighet" in answer and world.uow.data.audit
    assert service.context.askers.generation == before


class _Chat:
    """A chat store whose staff lookup lets `during` run while it reads."""

    def __init__(self, during) -> None:
        self.during = during
        self.reads = 0

    async def staff_by_chat_id(self, user_id: str):
        self.reads += 1
        self.during()
        return None


class _Stores:
    def __init__(self, chat: _Chat) -> None:
        self.chat = chat


async def test_a_read_overlapping_a_write_is_not_remembered(world: World) -> None:
    askers = Askers(world.clock)
    store = _Chat(askers.forget)  # a write ends while the row is read
    stores = _Stores(store)
    await askers.staff(stores, ANNA, world.today)  # type: ignore[arg-type]
    store.during = lambda: None
    await askers.staff(stores, ANNA, world.today)  # type: ignore[arg-type]
    await askers.staff(stores, ANNA, world.today)  # type: ignore[arg-type]
    assert store.reads == 2  # the first read was not kept; the second was


async def test_a_new_day_reads_again(world: World) -> None:
    askers = Askers(world.clock)
    store = _Chat(lambda: None)
    stores = _Stores(store)
    await askers.staff(stores, ANNA, world.today)  # type: ignore[arg-type]
    await askers.staff(stores, ANNA, world.today + timedelta(days=1))  # type: ignore[arg-type]
    assert store.reads == 2
