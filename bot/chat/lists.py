"""Deadlines as lines: one line per deadline, overdue on top, then nearest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.domain.messages import Message
from bot.formatting import relative_day, short_date
from bot.i18n import _
from bot.ports.chat import DeadlineItem, StaffInfo

from .context import ChatContext
from .rendering import mention


def line(ctx: ChatContext, item: DeadlineItem, today: date, owner: bool = False) -> str:
    """`CODE` rule: last day …, with the owner when `owner`."""
    day = item.effective_last_day
    text = _("`{code}` {rule}: last day {day} ({when})").format(
        code=item.code,
        rule=ctx.rule_name(item.rule_id),
        day=short_date(day),
        when=relative_day(day, today),
    )
    if item.is_open and day < today:
        text = _("OVERDUE") + " · " + text
    if item.extended_to:
        text += " · " + _("extended")
    if owner:
        text += " · " + mention(item.handlaggare_chat)
    return text


def by_urgency(items: Iterable[DeadlineItem], today: date) -> list[DeadlineItem]:
    """Overdue on top, then nearest first."""
    return sorted(
        items,
        key=lambda i: (i.effective_last_day >= today, i.effective_last_day, i.code, i.rule_id),
    )


def lines_of(
    ctx: ChatContext, items: Iterable[DeadlineItem], today: date, me: StaffInfo | None
) -> list[str]:
    """A line per deadline, naming the owner unless it is `me`."""
    return [line(ctx, i, today, owner=me is None or i.handlaggare_id != me.id) for i in items]


def deadline_list(
    ctx: ChatContext,
    title: str,
    items: list[DeadlineItem],
    today: date,
    me: StaffInfo | None = None,
    after: list[str] | None = None,
) -> tuple[Message, ...]:
    """Deadlines in pages, with counts on top and the next steps below (`after`: lines
    under the list)."""
    items = by_urgency(items, today)
    overdue = sum(1 for i in items if i.effective_last_day < today)
    fields = ((_("Overdue"), str(overdue)), (_("Coming"), str(len(items) - overdue)))
    return ctx.layout.pages(
        title,
        [*lines_of(ctx, items, today, me), *(after or [])],
        fields=fields,
        context=_("Open a case: /frister ärende CODE · mark done: /frister klar CODE"),
    )
