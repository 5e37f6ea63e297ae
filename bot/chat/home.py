"""The home tab: my deadlines; for a chef (and 1:e) also the enhet's overdue and coming
deadlines; for a socialchef, every enhet's."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.messages import Action as Button
from bot.domain.messages import Message
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import DeadlineItem, StaffInfo
from bot.ports.unit_of_work import Stores

from .access import actor, stranger
from .context import ChatContext
from .lists import by_urgency, lines_of
from .overviews import further_ahead
from .rendering import say

HOME_DAYS = 14
HOME_ITEMS = 40


async def home(ctx: ChatContext, user_id: str) -> tuple[Message, ...]:
    """The sections of `user_id`'s home tab."""
    async with ctx.unit_of_work() as uow:
        me = await uow.chat.staff_by_chat_id(user_id)
        if me is None or not me.active:
            return (await stranger(ctx, uow, user_id, "home")).messages
        if actor(me).role is Role.ADMIN:
            return (
                say(
                    _("You are an administrator: configure Frister with `/frister admin`."),
                    _("Frister"),
                ),
            )
        return await _sections(ctx, uow, me)


async def _sections(ctx: ChatContext, uow: Stores, me: StaffInfo) -> tuple[Message, ...]:
    role = actor(me).role
    today = ctx.today()
    horizon = today + timedelta(days=HOME_DAYS)
    owners = [me.stored_id, *await uow.chat.standing_in_for(me.stored_id, today)]
    every = await uow.chat.deadline_items(handlaggare_ids=owners)
    mine = by_urgency([i for i in every if i.effective_last_day <= horizon], today)
    later = len(every) - len(mine)
    sections = [
        _section(
            ctx,
            _("My deadlines, the next 14 days"),
            mine,
            today,
            me,
            _("You have no open deadlines in the next 14 days."),
            (Button("home_new", _("Register event"), "ny"),),
            after=[further_ahead(later)] if later else [],
        )
    ]
    unit = None if role is Role.SOCIALCHEF else me.enhet_id
    leads = role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF)
    if leads and (unit is not None or role is Role.SOCIALCHEF):
        items = by_urgency(await uow.chat.deadline_items(enhet_id=unit, until=horizon), today)
        name = me.enhet if unit else _("all units")
        late = [i for i in items if i.effective_last_day < today]
        coming = [i for i in items if i.effective_last_day >= today]
        sections.append(
            _section(
                ctx,
                _("Overdue, {unit}").format(unit=name),
                late,
                today,
                None,
                _("Nothing is overdue."),
            )
        )
        sections.append(
            _section(
                ctx,
                _("Coming in 14 days, {unit}").format(unit=name),
                coming,
                today,
                None,
                _("Nothing in the next 14 days."),
            )
        )
    sections.append(
        say(
            _(
                "Reminders come as direct messages on working days at {time}, with "
                "buttons: Done, Remind me tomorrow, Request extension. Type "
                "`/frister hjälp` for every command. Never write personnummer in Frister."
            ).format(time=ctx.sending.at.strftime("%H.%M"))
        )
    )
    return tuple(sections)


def _section(
    ctx: ChatContext,
    title: str,
    items: list[DeadlineItem],
    today: date,
    me: StaffInfo | None,
    empty: str,
    actions: tuple[Button, ...] = (),
    after: list[str] | None = None,
) -> Message:
    lines = lines_of(ctx, items[:HOME_ITEMS], today, me)
    if len(items) > HOME_ITEMS:
        lines.append(_("… and {n} more.").format(n=len(items) - HOME_ITEMS))
    body = tuple(ctx.layout.paragraphs(lines)) if lines else (empty,)
    if after:
        body = (*body, *after)
    return Message(text="\n".join([title, *body]), title=title, body=body, actions=actions)
