"""A person typed in a command: a mention (a chat id) or a name typed as `@Bo`, resolved
against the staff register (the e-mail's name part: `bo@…`, `bo.berg@…`)."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.unit_of_work import Stores

from .rendering import mention


def _names(person: StaffInfo) -> set[str]:
    """The folded names a person answers to: their e-mail's name part and its first word."""
    local = cmd.fold((person.email or "").split("@")[0])
    if not local:
        return set()
    first = local.replace("_", ".").replace("-", ".").split(".")[0]
    return {local, first}


def may_act(person: StaffInfo | None) -> bool:
    """Active staff who handle cases (not administrators)."""
    return person is not None and person.active and person.role != Role.ADMIN.value


async def find_person(
    uow: Stores, user: str | None, name: str | None, enhet_id: int | None
) -> StaffInfo | str:
    """The member of staff meant, or why there is none: not in the register, or a name more
    than one person answers to (the enhet `enhet_id` is looked at first)."""
    if user is not None:
        found = await uow.chat.staff_by_chat_id(user)
        if not may_act(found):
            return _("{who} is not in Frister's staff register.").format(who=mention(user))
        assert found is not None
        return found
    wanted = cmd.fold(name or "")
    matches = [p for p in await uow.chat.staff_in(None) if may_act(p) and wanted in _names(p)]
    near = [p for p in matches if enhet_id is not None and p.enhet_id == enhet_id]
    chosen = near if len(near) == 1 else matches
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        return _("Nobody called “{name}” is in Frister's staff register.").format(name=name)
    return _("More than one person is called “{name}”: mention the one you mean with @.").format(
        name=name
    )


async def takers(uow: Stores, me: StaffInfo) -> list[StaffInfo]:
    """Who may be handläggare of a case `me` opens: active staff of `me`'s enhet (of every
    enhet for a socialchef), not administrators."""
    if me.role == Role.SOCIALCHEF.value:
        return [p for p in await uow.chat.staff_in(None) if may_act(p)]
    if me.enhet_id is None:
        return []
    return [p for p in await uow.chat.staff_in(me.enhet_id) if may_act(p)]
