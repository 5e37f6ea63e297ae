"""One case: its deadlines (open first), its history, and buttons for what may be done."""

from __future__ import annotations

from datetime import date

from bot.domain import commands as cmd
from bot.domain import markup
from bot.domain.access import Action
from bot.domain.deadlines import Status
from bot.domain.messages import Action as Button
from bot.domain.messages import Message
from bot.domain.roles import DecisionLevel
from bot.formatting import medium_date, relative_day
from bot.i18n import _
from bot.ports.chat import CaseInfo, DeadlineItem, ExtensionInfo, StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import may, refuse
from .context import ChatContext
from .labels import STATUS_LABELS, level_word
from .lists import by_urgency
from .rendering import mention, short_answer

MAX_BUTTONS = 24
SOURCE_CHARS = 160  # the quote or summary under a deadline, cut to one short line


def no_case(code: str) -> Answer:
    return short_answer(_("There is no case with the code {code}.").format(code=code))


async def handle_showcase(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.ShowCase
) -> Answer:
    case = await uow.chat.case_info(c.code)
    if case is None:
        return no_case(c.code)
    if not await may(ctx, uow, me, Action.VIEW_CASE, case.enhet_id, case.handlaggare_id):
        return await refuse(ctx, uow, me, Action.VIEW_CASE)
    return Answer(await case_view(ctx, uow, me, case))


def _deadline_line(ctx: ChatContext, item: DeadlineItem, today: date) -> str:
    rule = ctx.pack.rules.get(item.rule_id)
    line = _("{rule}: last day {day}, {status}").format(
        rule=ctx.rule_name(item.rule_id),
        day=medium_date(item.effective_last_day),
        status=_(STATUS_LABELS.get(item.status, item.status)),
    )
    if item.is_open:
        line += f" ({relative_day(item.effective_last_day, today)})"
        if item.effective_last_day < today:
            line = _("OVERDUE") + " · " + line
    elif item.closed_on:
        line += " " + medium_date(item.closed_on)
        if item.status == Status.DONE:
            in_time = item.closed_on <= item.effective_last_day
            line += " " + (_("in time") if in_time else _("late"))
        if item.closed_by_hand and item.done_by:
            line += " " + _("(marked by {who})").format(who=mention(item.done_by))
    if item.extended_to:
        known = item.extension_level in DecisionLevel._value2member_map_
        line += " · " + _("extended from {day} ({level})").format(
            day=medium_date(item.last_day),
            level=level_word(DecisionLevel(item.extension_level or "")) if known else "?",
        )
    if rule is not None:
        line += " · " + rule.reference(item.trigger_date, item.last_day)
        if rule.source_text:
            line += "\n" + _shortened(rule.source_text)
    return line


def _extension_line(ctx: ChatContext, x: ExtensionInfo, day: date) -> str:
    """`2026-06-15 Extended: rule from … to … (decided by @who, level). Reason: …`"""
    known = (x.level or "") in DecisionLevel._value2member_map_
    text = _("{day} Extended: {rule} from {old} to {new} (decided by {who}, {level}).").format(
        day=medium_date(day),
        rule=ctx.rule_name(x.rule_id),
        old=medium_date(x.from_day),
        new=medium_date(x.to_day),
        who=mention(x.decided_by) if x.decided_by else "?",
        level=level_word(DecisionLevel(x.level or "")) if known else "?",
    )
    if x.reason:
        text += " " + _("Reason: {reason}").format(reason=_shortened(x.reason))
    return text


def _shortened(text: str, limit: int = SOURCE_CHARS) -> str:
    """The paragraph's words (or summary) on one short line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _buttons(ctx: ChatContext, items: list[DeadlineItem]) -> list[Button]:
    actions: list[Button] = []
    for item in items:
        if not item.is_open:
            continue
        name = ctx.rule_name(item.rule_id)
        actions.append(
            Button("frist_klar", _("Done: {rule}").format(rule=name), str(item.frist_id), "primary")
        )
        if (rule := ctx.pack.rules.get(item.rule_id)) and rule.extension:
            actions.append(
                Button("frist_extend", _("Extend: {rule}").format(rule=name), str(item.frist_id))
            )
    return actions


async def case_view(
    ctx: ChatContext, uow: Stores, me: StaffInfo, case: CaseInfo
) -> tuple[Message, ...]:
    today = ctx.today()
    items = by_urgency(await uow.chat.deadline_items(case_ids=[case.id], open_only=False), today)
    events = await uow.chat.case_events(case.id)
    lines = [
        _deadline_line(ctx, item, today)
        for item in sorted(items, key=lambda i: (not i.is_open, i.effective_last_day))
    ]
    dated = [
        (
            e.date,
            _("{day} {event} ({source})").format(
                day=medium_date(e.date),
                event=ctx.pack.event_name(e.type),
                source=(mention(e.registered_by) if e.registered_by else e.source),
            ),
        )
        for e in events
    ]
    for x in await uow.chat.extensions(case.id):
        day = x.at.astimezone(ctx.sending.tz).date()
        dated.append((day, _extension_line(ctx, x, day)))
    history = [text for _day, text in sorted(dated, key=lambda d: d[0])]
    actions = _buttons(ctx, items)
    if await may(ctx, uow, me, Action.REASSIGN, case.enhet_id, None):
        actions.append(Button("case_reassign", _("Reassign"), case.code))
    return ctx.layout.pages(
        _("Case {code}").format(code=case.code),
        [
            markup.bold(_("Deadlines")),
            *(lines or [_("No deadlines.")]),
            markup.bold(_("History")),
            *(history or [_("No events.")]),
        ],
        fields=(
            (_("Unit"), case.enhet),
            (_("Responsible case officer"), mention(case.handlaggare_chat)),
        ),
        actions=tuple(actions[:MAX_BUTTONS]),
    )
