"""Pressed buttons: `frist_*` with a deadline id (on reminders and answers), `case_*` with a
case code, `home_new` on the home tab."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.ladder import occurrences
from bot.domain.pseudonym import parse_code
from bot.formatting import in_sentence, long_date
from bot.i18n import _
from bot.ports.chat import DeadlineItem, StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.outbox import PENDING, NewNotification
from bot.ports.unit_of_work import Stores

from .access import audit, may, refuse, stranger
from .case_view import handle_showcase, no_case
from .commands import handle_register
from .context import ChatContext
from .deadlines import UNDO, extendable, mark_done, open_items, undo_done
from .forms import extend_form, reassign_form
from .reassign import candidates
from .rendering import short_answer

SNOOZE_STEP = "pam:snooze#"
BUTTON_ACTIONS = {
    "frist_klar": Action.MARK_DONE,
    "frist_snooze": Action.SNOOZE,
    "frist_ack": Action.ACKNOWLEDGE,
    "frist_extend": Action.EXTEND,
    UNDO: Action.MARK_DONE,
}


async def press(ctx: ChatContext, caller: Caller, action_id: str, value: str) -> Answer:
    """The answer to a pressed button."""
    async with ctx.unit_of_work() as uow:
        me = await uow.chat.staff_by_chat_id(caller.user_id)
        if me is None or not me.active:
            return await stranger(ctx, uow, caller.user_id, action_id)
        if action_id == "home_new":
            return await handle_register(ctx, uow, caller, me, cmd.Register())
        if action_id.startswith("case_"):
            code = parse_code(value or "")
            case = await uow.chat.case_info(code) if code else None
            if case is None:
                return no_case(code or "?")
            if action_id == "case_show":
                return await handle_showcase(ctx, uow, caller, me, cmd.ShowCase(case.code))
            if action_id == "case_reassign":
                if not await may(ctx, uow, me, Action.REASSIGN, case.enhet_id, None):
                    return await refuse(ctx, uow, me, Action.REASSIGN)
                return Answer(form=reassign_form(case, await candidates(uow, case)))
        frist_id = int(value) if (value or "").isdigit() and len(value) < 12 else None
        found = (
            await uow.chat.deadline_items(frist_ids=[frist_id], open_only=False)
            if frist_id is not None
            else []
        )
        if not found or action_id not in BUTTON_ACTIONS:
            return short_answer(_("This button no longer works. Try /frister."))
        return await _on_deadline(ctx, uow, me, found[0], action_id)


async def _on_deadline(
    ctx: ChatContext, uow: Stores, me: StaffInfo, item: DeadlineItem, action_id: str
) -> Answer:
    action = BUTTON_ACTIONS[action_id]
    if not await may(ctx, uow, me, action, item.enhet_id, item.handlaggare_id):
        return await refuse(ctx, uow, me, action)
    if action_id == UNDO:
        return await undo_done(ctx, uow, me, item)
    if action is Action.MARK_DONE:
        return await mark_done(ctx, uow, me, item)
    name = ctx.rule_name(item.rule_id)
    if not item.is_open:
        return short_answer(
            _("The deadline for {rule} in case {code} is already closed.").format(
                rule=in_sentence(name), code=item.code
            )
        )
    if action is Action.SNOOZE:
        return await snooze(ctx, uow, me, item)
    if action is Action.ACKNOWLEDGE:
        await uow.chat.acknowledge(item.frist_id, ctx.today())
        await audit(
            ctx,
            uow,
            me,
            "frist_har_koll",
            item.code,
            {"regel": item.rule_id, "datum": ctx.today().isoformat()},
        )
        return short_answer(
            _("Noted: no more repeats about {rule} for case {code} today.").format(
                rule=name, code=item.code
            )
        )
    case = await uow.chat.case_info(item.code)
    items = [i for i in await open_items(ctx, uow, case) if extendable(ctx, i)] if case else []
    if case is None or item not in items:
        return short_answer(_("{rule} cannot be extended.").format(rule=name))
    return Answer(form=extend_form(ctx, case, items, cmd.Extend(item.code, item.rule_id)))


async def snooze(ctx: ChatContext, uow: Stores, me: StaffInfo, item: DeadlineItem) -> Answer:
    """No more repeats today; one reminder next working morning (unless the ladder has one
    for the handläggare then anyway)."""
    today, now = ctx.today(), ctx.clock.now()
    await uow.chat.acknowledge(item.frist_id, today)
    tomorrow = ctx.calendar.next_working_day(today)
    await audit(
        ctx,
        uow,
        me,
        "frist_paminn_i_morgon",
        item.code,
        {"regel": item.rule_id, "datum": tomorrow.isoformat()},
    )
    due = ctx.sending.on(tomorrow)
    rule = ctx.pack.rules.get(item.rule_id)
    ladder_has_one = rule is not None and any(
        o.send_on == tomorrow and not o.step.escalation
        for o in occurrences(rule, item.effective_last_day, ctx.calendar, ctx.sending, due)
    )
    if not ladder_has_one:
        await uow.outbox.add_notifications(
            [
                NewNotification(
                    item.frist_id,
                    f"{SNOOZE_STEP}{tomorrow.isoformat()}",
                    f"person:{me.id}",
                    due,
                    PENDING,
                )
            ],
            now,
        )
    return short_answer(
        _("I will remind you again {day} at {time}.").format(
            day=long_date(tomorrow), time=ctx.sending.at.strftime("%H.%M")
        )
    )
