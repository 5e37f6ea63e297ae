"""Questions about many deadlines: mine, overdue, the team overview and statistics."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta

from bot.domain import commands as cmd
from bot.domain import markup
from bot.domain.access import Action, allowed
from bot.domain.roles import Role
from bot.i18n import _, ngettext
from bot.ports.chat import Counts, StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import actor, refuse
from .context import ChatContext
from .lists import by_urgency, deadline_list, line
from .rendering import mention, short_answer
from .units import unit_allowed

TEAM_DAYS = 30
STATS_DAYS = 30
_FIELDS = tuple(f.name for f in dataclass_fields(Counts))


def further_ahead(n: int) -> str:
    """The line under a list that stops at a horizon: how many deadlines come later."""
    return ngettext(
        "+{n} deadline further ahead (`/frister alla` shows every one).",
        "+{n} deadlines further ahead (`/frister alla` shows every one).",
        n,
    ).format(n=n)


async def handle_mine(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Mine
) -> Answer:
    if actor(me).role is Role.ADMIN:  # refused (and audited) as before, but shown the way
        await refuse(ctx, uow, me, Action.MY_DEADLINES)
        return short_answer(_("You are an administrator: configure Frister with `/frister admin`."))
    if not allowed(actor(me), Action.MY_DEADLINES):
        return await refuse(ctx, uow, me, Action.MY_DEADLINES)
    today = ctx.today()
    owners = [me.stored_id, *await ctx.askers.stands_in_for(uow, me, today)]
    if c.every:
        every = await uow.chat.deadline_items(handlaggare_ids=owners)
        title = _("All your open deadlines")
        if not every:
            return short_answer(_("You have no open deadlines."), title)
        return Answer(deadline_list(ctx, title, every, today, me))
    horizon = today + timedelta(days=c.days)
    # Only the listed deadlines are read; the later ones are counted in the database.
    items = await uow.chat.deadline_items(handlaggare_ids=owners, until=horizon)
    later = await uow.chat.open_after(owners, horizon)
    title = ngettext(
        "Your deadlines, the next {n} day", "Your deadlines, the next {n} days", c.days
    ).format(n=c.days)
    if not items:
        empty = ngettext(
            "You have no open deadlines in the next {n} day.",
            "You have no open deadlines in the next {n} days.",
            c.days,
        ).format(n=c.days)
        return short_answer(empty + (" " + further_ahead(later) if later else ""), title)
    return Answer(
        deadline_list(ctx, title, items, today, me, after=[further_ahead(later)] if later else [])
    )


async def handle_overdue(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Overdue
) -> Answer:
    who = actor(me)
    if not allowed(who, Action.OVERDUE):
        return await refuse(ctx, uow, me, Action.OVERDUE)
    today = ctx.today()
    yesterday = today - timedelta(days=1)
    mine: StaffInfo | None = None
    if who.role is Role.SOCIALCHEF:
        items = await uow.chat.deadline_items(until=yesterday)
        title = _("Overdue deadlines, all units")
    elif who.role in (Role.CHEF, Role.FORSTE_SOCIALSEKRETERARE) and me.enhet_id:
        items = await uow.chat.deadline_items(enhet_id=me.enhet_id, until=yesterday)
        title = _("Overdue deadlines, {unit}").format(unit=me.enhet)
    else:
        owners = [me.stored_id, *await ctx.askers.stands_in_for(uow, me, today)]
        items = await uow.chat.deadline_items(handlaggare_ids=owners, until=yesterday)
        title = _("Your overdue deadlines")
        mine = me
    if not items:
        return short_answer(_("Nothing is overdue. Well done!"), title)
    return Answer(deadline_list(ctx, title, items, today, mine))


async def handle_team(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Team
) -> Answer:
    unit = await unit_allowed(ctx, uow, me, c.enhet, Action.TEAM)
    if isinstance(unit, Answer):
        return unit
    today = ctx.today()
    days = c.days or TEAM_DAYS
    horizon = today + timedelta(days=days)
    # Only the listed deadlines are read; the rest are counted in the database.
    listed = await uow.chat.deadline_items(enhet_id=unit.id, until=horizon)
    owners = await uow.chat.open_per_owner(unit.id, today)
    counts = await uow.chat.counts(unit.id, today, today - timedelta(days=STATS_DAYS))
    title = _("Team overview, {unit}").format(unit=unit.name or _("all units"))
    staff = await uow.chat.staff_by_ids({pid for pid, _open, _late in owners if pid})
    per_person: Counter[int | None] = Counter()
    per_person_late: Counter[int | None] = Counter()
    for pid, open_, late in owners:
        per_person[pid] = open_
        per_person_late[pid] = late
    people = [
        _("{who}: open {open}, overdue {late}").format(
            who=mention(staff[pid].chat_user_id)
            if pid is not None and pid in staff
            else _("no handläggare"),
            open=per_person[pid],
            late=per_person_late[pid],
        )
        for pid in sorted(per_person, key=lambda p: (-per_person_late[p], -per_person[p]))
    ]
    lines = [line(ctx, i, today, owner=True) for i in by_urgency(listed, today)]
    later = sum(per_person.values()) - len(listed)
    if later:
        lines.append(
            ngettext(
                "… and {n} deadline later than {days} days from now.",
                "… and {n} deadlines later than {days} days from now.",
                later,
            ).format(n=later, days=days)
        )
    if not lines:
        lines = [_("No open deadlines.")]
    fields = (
        (_("Open"), str(counts.open)),
        (_("Overdue"), str(counts.overdue)),
        (_("Extended deadlines"), str(counts.extended)),
        (_("Done in the last {days} days").format(days=STATS_DAYS), str(counts.done)),
    )
    public = False
    note: list[str] = []
    if c.show:
        linked = caller.channel_id and await uow.chat.channel_unit(caller.channel_id)
        public = bool(linked) and linked == me.enhet_id and unit.id == me.enhet_id
        if not public:
            note = [
                _(
                    "Only you can see this: the channel is not linked to your enhet "
                    "(an administrator links it with `/frister admin koppla ENHET`)."
                )
            ]
    lead = [*note, "\n".join(people)] if people else note
    if unit.id is None:
        lines = [*await breakdown_lines(ctx, uow, today), *lines]
    return Answer(ctx.layout.pages(title, lines, lead=lead, fields=fields), public=public)


async def breakdown_lines(ctx: ChatContext, uow: Stores, today: date) -> list[str]:
    """Every enhet's and every rule's counts: what a socialchef compares."""
    rows = await uow.chat.breakdown(None, today, today - timedelta(days=STATS_DAYS))
    names = {u.id: u.name for u in await uow.chat.unit_list()}
    per_unit: dict[str, list[Counts]] = {}
    per_rule: dict[str, list[Counts]] = {}
    for row in rows:
        per_unit.setdefault(names.get(row.enhet_id, str(row.enhet_id)), []).append(row.counts)
        per_rule.setdefault(ctx.rule_name(row.rule_id), []).append(row.counts)

    def summary(name: str, counts: list[Counts]) -> str:
        total = Counts(*(sum(getattr(c, f) for c in counts) for f in _FIELDS))
        return _(
            "{name}: open {open}, overdue {late}, done in {days} days {done} "
            "(of which {done_late} late)"
        ).format(
            name=name,
            open=total.open,
            late=total.overdue,
            days=STATS_DAYS,
            done=total.done,
            done_late=total.done_late,
        )

    if not rows:
        return []
    return [
        markup.bold(_("Per enhet")),
        *(summary(n, c) for n, c in sorted(per_unit.items())),
        markup.bold(_("Per rule")),
        *(summary(n, c) for n, c in sorted(per_rule.items())),
    ]


async def handle_statistics(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Statistics
) -> Answer:
    unit = await unit_allowed(ctx, uow, me, c.enhet, Action.STATISTICS)
    if isinstance(unit, Answer):
        return unit
    today = ctx.today()
    counts = await uow.chat.counts(unit.id, today, today - timedelta(days=STATS_DAYS))
    title = _("Statistics, {unit}").format(unit=unit.name or _("all units"))
    in_time = counts.done - counts.done_late
    lines = [
        _("Open deadlines: {n}, of which {late} overdue and {ext} extended.").format(
            n=counts.open, late=counts.overdue, ext=counts.extended
        ),
        _("Done in the last {days} days: {n}, of which {ok} in time and {late} late.").format(
            days=STATS_DAYS, n=counts.done, ok=in_time, late=counts.done_late
        ),
    ]
    if unit.id is None:
        lines += await breakdown_lines(ctx, uow, today)
    return Answer(ctx.layout.pages(title, lines))
