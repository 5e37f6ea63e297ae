"""Omfördela: give a case to another handläggare (a chef's form or `/frister omfördela CODE
@person`). Only active staff of the case's enhet may take it; the new handläggare hears of each
open deadline, the previous one is told, both through the outbox."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.messages import Message, message_to_json
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import CaseInfo, StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.outbox import PENDING, NewNotification
from bot.ports.unit_of_work import Stores

from .access import actor, audit, may, refuse
from .case_view import no_case
from .context import ChatContext
from .forms import reassign_form
from .people import find_person, may_act
from .rendering import mention, short_answer

REASSIGNED_STEP = "pam:omfordelad"
TOLD_STEP = "info:omfordelad"


async def candidates(uow: Stores, case: CaseInfo) -> list[StaffInfo]:
    """Who may take the case: active staff of its enhet (not administrators), not the
    handläggare it has now."""
    return [
        p
        for p in await uow.chat.staff_in(case.enhet_id)
        if may_act(p) and p.id != case.handlaggare_id and p.chat_user_id
    ]


async def handle_reassign(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Reassign
) -> Answer:
    case = await uow.chat.case_info(c.code)
    if case is None:
        return no_case(c.code)
    if not await may(ctx, uow, me, Action.REASSIGN, case.enhet_id, None):
        return await refuse(ctx, uow, me, Action.REASSIGN)
    if c.user is None and c.name is None:
        return Answer(form=reassign_form(case, await candidates(uow, case)))
    other = await find_person(uow, c.user, c.name, case.enhet_id)
    if isinstance(other, str):
        return short_answer(other)
    problem = taker_problem(me, case, other)
    return short_answer(problem) if problem else await reassign(ctx, uow, me, case, other)


def taker_problem(me: StaffInfo, case: CaseInfo, other: StaffInfo) -> str | None:
    """Why `other` cannot take the case, if they cannot."""
    if other.id == case.handlaggare_id:
        return _("{who} is already handläggare for case {code}.").format(
            code=case.code, who=mention(other.chat_user_id)
        )
    if other.enhet_id != case.enhet_id and actor(me).role is not Role.SOCIALCHEF:
        return _("{who} does not work in {unit}.").format(
            who=mention(other.chat_user_id), unit=case.enhet
        )
    return None


async def reassign(
    ctx: ChatContext, uow: Stores, me: StaffInfo, case: CaseInfo, other: StaffInfo
) -> Answer:
    """Move the case, tell the new and the previous handläggare, and audit it."""
    enhet_id = other.enhet_id or case.enhet_id
    now, today = ctx.clock.now(), ctx.today()
    await uow.chat.reassign_case(case.id, enhet_id, other.stored_id, now)
    open_now = await uow.chat.deadline_items(case_ids=[case.id])
    rows = [
        NewNotification(
            i.frist_id,
            f"{REASSIGNED_STEP}:{other.id}#{today.isoformat()}",
            f"person:{other.id}",
            now,
            PENDING,
            reason="omfordelad",
        )
        for i in open_now
    ]
    if case.handlaggare_id is not None and case.handlaggare_id != me.id:
        text = _(
            "Case {code} has been reassigned to {who} by {chef}. You get no more reminders "
            "about it."
        ).format(code=case.code, who=mention(other.chat_user_id), chef=mention(me.chat_user_id))
        told = Message(text=text, title=_("Case reassigned"), body=(text,))
        rows.append(
            NewNotification(
                None,
                f"{TOLD_STEP}:{case.code}:{case.handlaggare_id}:{now.isoformat()}",
                f"person:{case.handlaggare_id}",
                now,
                PENDING,
                payload=message_to_json(told),
            )
        )
    await uow.outbox.add_notifications(rows, now)
    await audit(
        ctx,
        uow,
        me,
        "arende_omfordelat",
        case.code,
        {"fran": case.handlaggare_chat, "till": other.chat_user_id},
    )
    return short_answer(
        _(
            "{who} is now handläggare for case {code} and gets a message about its open deadlines."
        ).format(code=case.code, who=mention(other.chat_user_id)),
        refresh=tuple(
            dict.fromkeys(
                x for x in (me.chat_user_id, other.chat_user_id, case.handlaggare_chat) if x
            )
        ),
    )
