"""Acting on one deadline: mark it done (`klar`), extend it (`förläng`)."""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import date, timedelta

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.deadlines import Status
from bot.domain.messages import Action as Button
from bot.domain.messages import Message
from bot.domain.roles import DecisionLevel, Role
from bot.domain.screening import find_identifiers
from bot.formatting import in_sentence, long_date, short_date
from bot.i18n import _
from bot.ports.cases import NewEvent
from bot.ports.chat import CaseInfo, DeadlineItem, StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores
from bot.services.alarms import alarm_chefs
from bot.services.events import EventEntry

from .access import actor, audit, may, refuse, who
from .case_view import no_case
from .context import ChatContext
from .forms import extend_form
from .labels import ROLE_LEVEL, identifier_refusal, level_label, level_word
from .lists import by_urgency
from .rendering import clean, mention, say, short_answer


async def open_items(ctx: ChatContext, uow: Stores, case: CaseInfo) -> list[DeadlineItem]:
    return by_urgency(await uow.chat.deadline_items(case_ids=[case.id]), ctx.today())


def match_rule(
    ctx: ChatContext, items: list[DeadlineItem], text: str, fuzzy: bool = True
) -> list[DeadlineItem]:
    """Deadlines whose rule id or name matches `text` (forgiving: a prefix, or with `fuzzy`
    the closest rule id)."""
    wanted = cmd.fold(text).replace(" ", "")
    if not wanted:
        return []

    def name(item: DeadlineItem) -> str:
        return cmd.fold(ctx.rule_name(item.rule_id)).replace(" ", "")

    exact = [i for i in items if wanted in (cmd.fold(i.rule_id), name(i))]
    if exact:
        return exact
    starts = [
        i for i in items if cmd.fold(i.rule_id).startswith(wanted) or name(i).startswith(wanted)
    ]
    if starts or not fuzzy:
        return starts
    names = {cmd.fold(i.rule_id): i for i in items}
    close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
    return [names[close[0]]] if close else []


UNDO = "frist_undo"


def _refresh(*users: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for u in users if u))


# ---- done ---------------------------------------------------------------------------------


async def handle_markdone(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.MarkDone
) -> Answer:
    case = await uow.chat.case_info(c.code)
    if case is None:
        return no_case(c.code)
    if not await may(ctx, uow, me, Action.MARK_DONE, case.enhet_id, case.handlaggare_id):
        return await refuse(ctx, uow, me, Action.MARK_DONE)
    items = await open_items(ctx, uow, case)
    if c.rule and not match_rule(ctx, items, c.rule, fuzzy=False):
        # The deadline named is already closed: never close a similar-sounding other one.
        every = await uow.chat.deadline_items(case_ids=[case.id], open_only=False)
        closed = match_rule(ctx, [i for i in every if not i.is_open], c.rule, fuzzy=False)
        if closed:
            return await mark_done(ctx, uow, me, closed[0])
    if not items:
        return short_answer(_("Case {code} has no open deadlines.").format(code=case.code))
    chosen = match_rule(ctx, items, c.rule) if c.rule else items
    if len(chosen) == 1:
        return await mark_done(ctx, uow, me, chosen[0])
    if c.rule and not chosen:
        lead = _("No open deadline of case {code} matches “{rule}”.").format(
            code=case.code, rule=c.rule
        )
    else:
        lead = _("Case {code} has several open deadlines. Which one is done?").format(
            code=case.code
        )
    buttons = tuple(
        Button(
            "frist_klar",
            _("Done: {rule}").format(rule=ctx.rule_name(i.rule_id)),
            str(i.frist_id),
        )
        for i in (chosen or items)[:20]
    )
    return Answer((Message(text=lead, body=(lead,), actions=buttons),))


async def mark_done(ctx: ChatContext, uow: Stores, me: StaffInfo, item: DeadlineItem) -> Answer:
    """Close a deadline by hand; a recurring one (övervägande) gets its closing event instead,
    which starts the next period."""
    today, now = ctx.today(), ctx.clock.now()
    rule = ctx.pack.rules.get(item.rule_id)
    name = ctx.rule_name(item.rule_id)
    refresh = _refresh(me.chat_user_id, item.handlaggare_chat)
    if not item.is_open:
        text = _("The deadline for {rule} in case {code} is already closed.").format(
            rule=in_sentence(name), code=item.code
        )
        return Answer((say(text),), refresh=refresh)
    if rule is not None and rule.recurs is not None and rule.closes_on:
        event = rule.closes_on[0]
        await ctx.events.record(
            uow,
            [
                EventEntry(
                    NewEvent(item.case_id, event, today, "chat", me.chat_user_id),
                    item.code,
                    item.enhet_id,
                    {"via": "chatt"},
                )
            ],
            actor=who(me),
            now=now,
            today=today,
        )
        following = [
            i
            for i in await uow.chat.deadline_items(case_ids=[item.case_id])
            if i.rule_id == item.rule_id
        ]
        text = _("Registered: {event}, today, case {code}.").format(
            event=ctx.pack.event_name(event), code=item.code
        )
        if following:
            text += " " + _("The next deadline for {rule} runs out {day}.").format(
                rule=in_sentence(name), day=long_date(following[0].effective_last_day)
            )
    else:
        await uow.chat.close_by_hand(item.frist_id, Status.DONE.value, today, who(me), now)
        await audit(
            ctx,
            uow,
            me,
            "frist_klar_markerad",
            item.code,
            {"regel": item.rule_id, "datum": today.isoformat()},
        )
        text = _("The deadline for {rule} in case {code} is marked as done by {who} {day}.").format(
            rule=in_sentence(name),
            code=item.code,
            who=mention(me.chat_user_id),
            day=short_date(today),
        )
        if rule is not None and any(ctx.pack.triggered_by(e) for e in rule.closes_on):
            text += " " + _(
                "If the case got a new event (e.g. an utredning was opened), register it "
                "with /frister ny so that its deadlines are counted."
            )
        message = say(text, _("Done"))
        undo = Button(UNDO, _("Undo"), str(item.frist_id))
        message = replace(message, actions=(undo,))
        return Answer((message,), replace=message, refresh=refresh)
    message = say(text, _("Done"))
    return Answer((message,), replace=message, refresh=refresh)


async def undo_done(ctx: ChatContext, uow: Stores, me: StaffInfo, item: DeadlineItem) -> Answer:
    """Ångra: open again a deadline marked done by hand, the same day (Europe/Stockholm)."""
    today, now = ctx.today(), ctx.clock.now()
    name = ctx.rule_name(item.rule_id)
    refresh = _refresh(me.chat_user_id, item.handlaggare_chat)
    if item.is_open:
        text = _("{rule} for case {code} is already open.").format(rule=name, code=item.code)
        return Answer((say(text),), refresh=refresh)
    if (
        item.status is not Status.DONE
        or not item.closed_by_hand
        or item.closed_on != today
        or not await uow.chat.reopen(item.frist_id, now)
    ):
        text = _(
            "Undo works only the same day a deadline was marked done. Ask your chef if "
            "{rule} for case {code} must be opened again."
        ).format(rule=name, code=item.code)
        return Answer((say(text),), refresh=refresh)
    await audit(
        ctx,
        uow,
        me,
        "frist_klar_angrad",
        item.code,
        {"regel": item.rule_id, "datum": today.isoformat()},
    )
    text = _("Undone: {rule} for case {code} is open again, last day {day}.").format(
        rule=name, code=item.code, day=short_date(item.effective_last_day)
    )
    message = say(text, _("Undone"))
    return Answer((message,), replace=message, refresh=refresh)


# ---- extension ----------------------------------------------------------------------------


def extendable(ctx: ChatContext, item: DeadlineItem) -> bool:
    rule = ctx.pack.rules.get(item.rule_id)
    return bool(rule and rule.extension and item.is_open)


def extension_problem(item: DeadlineItem, until: date | None) -> str | None:
    if until is None:
        return _("Give the new last day.")
    if until <= item.effective_last_day:
        return _("The new last day must come after {day}.").format(
            day=long_date(item.effective_last_day)
        )
    if until > item.effective_last_day + timedelta(days=366):
        return _("The new last day may be at most a year later.")
    return None


async def handle_extend(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Extend
) -> Answer:
    if c.reason and find_identifiers(c.reason):
        return short_answer(identifier_refusal())
    if c.code is None:
        if actor(me).role is Role.ADMIN:
            return await refuse(ctx, uow, me, Action.EXTEND)
        return Answer(form=extend_form(ctx, None, [], c))
    case = await uow.chat.case_info(c.code)
    if case is None:
        return no_case(c.code)
    if not await may(ctx, uow, me, Action.EXTEND, case.enhet_id, case.handlaggare_id):
        return await refuse(ctx, uow, me, Action.EXTEND)
    items = [i for i in await open_items(ctx, uow, case) if extendable(ctx, i)]
    if not items:
        return short_answer(
            _("Case {code} has no open deadline that can be extended.").format(code=case.code)
        )
    chosen = match_rule(ctx, items, c.rule) if c.rule else []
    level = ROLE_LEVEL.get(actor(me).role)
    if c.complete and clean(c.reason) and len(chosen) == 1 and level is not None:
        rule = ctx.pack.rules[chosen[0].rule_id]
        if rule.extension and level.allows(rule.extension.level):
            problem = extension_problem(chosen[0], c.until)
            if problem or c.until is None:
                return short_answer(problem or "")
            return await extend(
                ctx, uow, me, chosen[0], c.until, clean(c.reason), me.chat_user_id or "", level
            )
    prefill = cmd.Extend(
        case.code, chosen[0].rule_id if len(chosen) == 1 else None, c.until, c.reason
    )
    return Answer(form=extend_form(ctx, case, items, prefill))


async def extend(
    ctx: ChatContext,
    uow: Stores,
    me: StaffInfo,
    item: DeadlineItem,
    until: date,
    reason: str,
    decided_by: str,
    level: DecisionLevel,
    without_delegation: bool = False,
) -> Answer:
    """Register a decided extension; one below the delegationsordning alarms the chefs."""
    now = ctx.clock.now()
    await uow.chat.extend_deadline(
        item.frist_id, until, reason.strip(), decided_by, level.value, now
    )
    await audit(
        ctx,
        uow,
        me,
        "frist_forlangd",
        item.code,
        {
            "regel": item.rule_id,
            "till": until.isoformat(),
            "fran": item.effective_last_day.isoformat(),
            "beslutsniva": level.value,
            "beslutad_av": decided_by,
        },
    )
    if without_delegation:
        text = _(
            "Decision made without delegation: the extension of {rule} in case {code} to "
            "{day} was decided at a lower level ({level}) than the delegationsordning allows."
        ).format(
            rule=ctx.rule_name(item.rule_id),
            code=item.code,
            day=until.isoformat(),
            level=level_label(level),
        )
        await alarm_chefs(
            uow,
            item.enhet_id,
            f"larm:delegation:{item.code}:forlangning:{item.frist_id}:{until.isoformat()}",
            Message(text=text, title=_("Decision made without delegation"), body=(text,)),
            now,
            ctx.today(),
            ctx.admin_channel,
        )
        await audit(
            ctx,
            uow,
            me,
            "beslut_utan_delegation",
            item.code,
            {"regel": item.rule_id, "beslutsniva": level.value},
        )
    text = _(
        "The deadline for {rule} in case {code} is extended to {day} (decided by {who}, {level})."
    ).format(
        rule=in_sentence(ctx.rule_name(item.rule_id)),
        code=item.code,
        day=long_date(until),
        who=mention(decided_by),
        level=level_word(level),
    )
    return Answer(
        (say(text, _("Extended")),), refresh=_refresh(me.chat_user_id, item.handlaggare_chat)
    )
