"""`/frister frånvaro`: one's own absence, and who gets one's reminders meanwhile."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action, allowed
from bot.formatting import long_date
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import actor, audit, refuse
from .context import ChatContext
from .labels import USAGE
from .people import find_person
from .rendering import mention, short_answer


async def handle_absence(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Absence
) -> Answer:
    if not allowed(actor(me), Action.ABSENCE):
        return await refuse(ctx, uow, me, Action.ABSENCE)
    now, today = ctx.clock.now(), ctx.today()
    if c.clear:
        await uow.chat.set_absence(me.stored_id, None, None, None, now)
        await audit(ctx, uow, me, "franvaro_andrad", None, {"franvaro": None})
        return short_answer(_("Your absence is removed: reminders come to you again."))
    if c.start is None:
        if me.absent_from is None or (me.absent_to or me.absent_from) < today:
            text = _("No absence is registered for you.")
        else:
            text = _("You are registered as away {start} – {end}.").format(
                start=long_date(me.absent_from), end=long_date(me.absent_to or me.absent_from)
            )
        return short_answer(text + " " + _(USAGE["franvaro"]))
    end = c.end or c.start
    if end < today:
        return short_answer(_("The absence has already ended."))
    substitute_id = None
    who = chosen = None
    if c.substitute or c.substitute_name:
        other = await find_person(uow, c.substitute, c.substitute_name, me.enhet_id)
        if isinstance(other, str):
            return short_answer(other)
        if other.id == me.id:
            return short_answer(_("You cannot be your own substitute."))
        substitute_id, chosen = other.id, other.chat_user_id
        who = mention(chosen) if chosen else c.substitute_name
    await uow.chat.set_absence(me.stored_id, c.start, c.end, substitute_id, now)
    await audit(
        ctx,
        uow,
        me,
        "franvaro_andrad",
        None,
        {"franvaro": [c.start.isoformat(), end.isoformat()], "ersattare": chosen},
    )
    dates = {"start": long_date(c.start), "end": long_date(end)}
    if who is None:
        text = _(
            "Absence registered {start} – {end}. Your chef gets your reminders meanwhile."
        ).format(**dates)
    else:
        text = _("Absence registered {start} – {end}. {who} gets your reminders meanwhile.").format(
            who=who, **dates
        )
    return short_answer(text)
