"""`/frister admin …`: the configuration (channels of an enhet, roles), for administrators."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain import markup
from bot.domain.access import Action, allowed
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import actor, audit, refuse
from .context import ChatContext
from .labels import ROLE_LABELS
from .rendering import mention, short_answer
from .units import Unit, find_unit, unknown_unit


def admin_lines() -> list[str]:
    """The administrator's commands, one a line."""
    return [
        _("`/frister admin` – units, their channels and these commands"),
        _("`/frister admin koppla ENHET` – link this channel to an enhet (`koppla av` unlinks)"),
        _(
            "`/frister admin eskalering ENHET` – make this channel the enhet's escalation "
            "channel (`eskalering ENHET av` removes it)"
        ),
        _("`/frister admin roll @person ROLE [ENHET]` – set someone's role and enhet"),
    ]


async def handle_adminoverview(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.AdminOverview
) -> Answer:
    if not allowed(actor(me), Action.ADMIN):
        return await refuse(ctx, uow, me, Action.ADMIN)
    lines = [
        _("{unit}: escalation channel {channel}; linked channels {linked}").format(
            unit=u.name,
            channel=markup.channel(u.escalation_channel) if u.escalation_channel else "–",
            linked=", ".join(markup.channel(ch) for ch in u.channels) or "–",
        )
        for u in await uow.chat.unit_list()
    ]
    return Answer(ctx.layout.pages(_("Frister's configuration"), [*lines, *admin_lines()]))


async def _admin_unit(ctx: ChatContext, uow: Stores, me: StaffInfo, name: str) -> Unit | Answer:
    """The enhet an administrator named, or the answer refusing the command."""
    if not allowed(actor(me), Action.ADMIN):
        return await refuse(ctx, uow, me, Action.ADMIN)
    unit = await find_unit(uow, name)
    if unit is None or unit.id is None:
        return await unknown_unit(uow, name)
    return unit


async def handle_adminlink(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.AdminLink
) -> Answer:
    if not allowed(actor(me), Action.ADMIN):
        return await refuse(ctx, uow, me, Action.ADMIN)
    if not caller.channel_id or caller.direct:
        return short_answer(_("Run this in the channel you want to link."))
    if c.enhet is None:
        await uow.chat.link_channel(caller.channel_id, None)
        await audit(
            ctx, uow, me, "kanal_kopplad", None, {"kanal": caller.channel_id, "enhet": None}
        )
        return short_answer(_("This channel is no longer linked to an enhet."))
    unit = await _admin_unit(ctx, uow, me, c.enhet)
    if isinstance(unit, Answer):
        return unit
    await uow.chat.link_channel(caller.channel_id, unit.id)
    await audit(
        ctx, uow, me, "kanal_kopplad", None, {"kanal": caller.channel_id, "enhet": unit.name}
    )
    return short_answer(_("This channel is now linked to {unit}.").format(unit=unit.name))


async def handle_adminescalation(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.AdminEscalation
) -> Answer:
    unit = await _admin_unit(ctx, uow, me, c.enhet)
    if isinstance(unit, Answer):
        return unit
    name = unit.name or ""
    if c.off:
        await uow.cases.set_escalation_channel(name, None, ctx.clock.now())
        await audit(ctx, uow, me, "eskaleringskanal_andrad", None, {"enhet": name, "kanal": None})
        return short_answer(_("{unit} has no escalation channel now.").format(unit=name))
    if not caller.channel_id or caller.direct:
        return short_answer(_("Run this in the channel that should get the escalations."))
    await uow.cases.set_escalation_channel(name, caller.channel_id, ctx.clock.now())
    await audit(
        ctx,
        uow,
        me,
        "eskaleringskanal_andrad",
        None,
        {"enhet": name, "kanal": caller.channel_id},
    )
    return short_answer(
        _(
            "Escalations and delivery failures of {unit} now come to this channel. Invite "
            "Frister here (`/invite @Frister`) so that it can post."
        ).format(unit=name)
    )


async def handle_adminrole(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.AdminRole
) -> Answer:
    if not allowed(actor(me), Action.ADMIN):
        return await refuse(ctx, uow, me, Action.ADMIN)
    unit_id, unit_name = None, None
    if c.enhet:
        unit = await _admin_unit(ctx, uow, me, c.enhet)
        if isinstance(unit, Answer):
            return unit
        unit_id, unit_name = unit.id, unit.name
    elif c.role not in (Role.SOCIALCHEF, Role.ADMIN):
        existing = await uow.chat.staff_by_chat_id(c.user)
        if existing is None or existing.enhet_id is None:
            return short_answer(_("Give the enhet too: `/frister admin roll @person ROLE ENHET`."))
        unit_id, unit_name = existing.enhet_id, existing.enhet
    await uow.chat.set_role(c.user, c.role.value, unit_id, ctx.clock.now())
    await audit(
        ctx,
        uow,
        me,
        "roll_andrad",
        None,
        {"chatt_id": c.user, "roll": c.role.value, "enhet": unit_name},
    )
    return short_answer(
        _("{who} is now {role}{unit}.").format(
            who=mention(c.user),
            role=_(ROLE_LABELS[c.role]).lower(),
            unit=f", {unit_name}" if unit_name else "",
        ),
        refresh=(c.user,),
    )
