"""An enhet typed by name (forgiving), and which enhet a team question is about."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import commands as cmd
from bot.domain.access import Action, Target, allowed
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer
from bot.ports.unit_of_work import Stores

from .access import actor, refuse
from .context import ChatContext
from .rendering import short_answer


@dataclass(frozen=True)
class Unit:
    """An enhet chosen by name; `id` None means every enhet."""

    id: int | None
    name: str | None


async def find_unit(uow: Stores, name: str | None) -> Unit | None:
    """The enhet called `name`: the whole name in any case, with or without diacritics, or a
    part only one enhet has (`nord`). No name: every enhet. None when there is no such enhet."""
    if not name:
        return Unit(None, None)
    units = await uow.chat.unit_list()
    wanted = " ".join(cmd.fold(name).split())
    exact = [u for u in units if cmd.fold(u.name) == wanted]
    part = [u for u in units if wanted in cmd.fold(u.name)]
    found = exact or (part if len(part) == 1 else [])
    return Unit(found[0].id, found[0].name) if found else None


async def unknown_unit(uow: Stores, name: str) -> Answer:
    names = ", ".join(u.name for u in await uow.chat.unit_list()) or "–"
    return short_answer(
        _("There is no enhet called “{name}”. Known: {names}.").format(name=name[:60], names=names)
    )


async def unit_allowed(
    ctx: ChatContext, uow: Stores, me: StaffInfo, enhet: str | None, action: Action
) -> Unit | Answer:
    """The enhet a team question is about (the caller's own unless a socialchef asks for all),
    or the answer refusing it."""
    unit = await find_unit(uow, enhet)
    if unit is None:
        return await unknown_unit(uow, enhet or "")
    if unit.id is None and me.role != Role.SOCIALCHEF.value:
        unit = Unit(me.enhet_id, me.enhet)
    if not allowed(actor(me), action, Target(unit.id)):
        return await refuse(ctx, uow, me, action)
    return unit
