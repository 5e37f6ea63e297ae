"""`/frister frånvaro`: one's own absence, and who gets one's reminders meanwhile."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action, allowed
from bot.domain.roles import Role
from bot.formatting import long_date
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import actor, audit, refuse
from .context import ChatContext
from .labels import USAGE
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
    who = None
    if c.substitute:
        if c.substitute == me.chat_user_id:
            return short_answer(_("You cannot be your own substitute."))
        other = await uow.chat.staff_by_chat_id(c.substitute)
        if other is None or not other.active or other.role == Role.ADMIN.value:
            return short_answer(
                _("{who} is not in Frister's staff register.").format(who=mention(c.substitute))
            )
        substitute_id, who = other.id, mention(c.substitute)
    await uow.chat.set_absence(me.stored_id, c.start, c.end, substitute_id, now)
    await audit(
        ctx,
        uow,
        me,
        "franvaro_andrad",
        None,
        {"franvaro": [c.start.isoformat(), end.isoformat()], "ersattare": c.substitute},
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
