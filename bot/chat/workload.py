"""`/frister belastning [ENHET]`: the workload per handläggare, for 1:e socialsekreterare,
chefer and the socialchef; answered privately."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.messages import Message
from bot.domain.workload import PersonLoad, UnitLoad
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores
from bot.services.workload import number, read_workload, suggestion_text, threshold_text

from .context import ChatContext
from .rendering import mention
from .units import unit_allowed


def who(p: PersonLoad) -> str:
    """A person as a mention (the platform shows their name), else their name."""
    return mention(p.chat_user_id) if p.chat_user_id else p.name


def person_line(p: PersonLoad) -> str:
    """One person's figures."""
    text = _(
        "{who}: load {load} · utredningar {utr} · due 7/14/28 days {d7}/{d14}/{d28} · "
        "overdue {late} · extended {ext}"
    ).format(
        who=who(p),
        load=number(p.load),
        utr=p.open_utredningar,
        d7=p.due[0],
        d14=p.due[1],
        d28=p.due[2],
        late=p.overdue,
        ext=p.extended,
    )
    if p.absent:
        text += " · " + _("away, deadlines counted on the substitute")
    elif p.standing_in:
        text += " · " + _("{n} as substitute").format(n=p.standing_in)
    if p.over:
        text += " · " + _("above the threshold")
    return text


def unit_pages(ctx: ChatContext, unit: UnitLoad) -> tuple[Message, ...]:
    title = _("Workload, {unit}").format(unit=unit.enhet)
    lines = [person_line(p) for p in unit.people] or [_("No handläggare in the enhet.")]
    lead = [threshold_text(unit, ctx.pack.workload.factor)]
    suggestion = suggestion_text(unit, who)
    if suggestion:
        lead.append(suggestion)
    if unit.unassigned:
        lead.append(_("Open deadlines without a handläggare: {n}.").format(n=unit.unassigned))
    context = _(
        "Load: each open deadline weighed by the rule pack (an utredning counts {weight})."
    ).format(weight=number(ctx.pack.weight("utredning")))
    return ctx.layout.pages(title, lines, lead=lead, context=context)


async def handle_workload(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Workload
) -> Answer:
    unit = await unit_allowed(ctx, uow, me, c.enhet, Action.WORKLOAD)
    if isinstance(unit, Answer):
        return unit
    today = ctx.today()
    if unit.id is None:
        units = sorted((await uow.outbox.units()).values(), key=lambda u: u.name)
        chosen = [(u.id, u.name) for u in units]
    else:
        chosen = [(unit.id, unit.name or me.enhet or "")]
    pages: list[Message] = []
    for enhet_id, name in chosen:
        work = await read_workload(uow, enhet_id, name, today, ctx.pack)
        pages += unit_pages(ctx, work.unit)
    return Answer(tuple(pages))
