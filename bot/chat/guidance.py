"""Help: the list of commands, how to write a command, and what was not understood."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.messages import Message
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .access import actor
from .admin import admin_lines
from .context import ChatContext
from .labels import PROBLEMS, USAGE
from .rendering import short_answer


def help_pages(ctx: ChatContext, role: Role) -> tuple[Message, ...]:
    lines = [
        _("`/frister` – your deadlines for the next 14 days, overdue on top"),
        _("`/frister 30` or `/frister vecka` – another horizon"),
        _("`/frister alla` – every open deadline of yours, however far ahead"),
        _("`/frister försenade` – overdue deadlines (the whole enhet for a chef)"),
        _("`/frister ärende CODE` – a case's deadlines and history"),
        _("`/frister ny` – register an event (a new case gets a case code)"),
        _("`/frister klar CODE [rule]` – mark a deadline as done"),
        _("`/frister förläng CODE rule YYYY-MM-DD reason` – register a decided extension"),
        _("`/frister frånvaro FROM TO [@substitute]` – your absence (`frånvaro av` ends it)"),
    ]
    if role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF):
        lines.append(
            _("`/frister team` – the enhet's overview (`team visa` shows it in the channel)")
        )
        lines.append(_("`/frister belastning` – the workload per handläggare"))
        lines.append(_("`/frister team 90` – the overview with deadlines 90 days ahead"))
    if role in (Role.CHEF, Role.SOCIALCHEF):
        lines.append(_("`/frister omfördela CODE @person` – give a case to another handläggare"))
    if role in (Role.CHEF, Role.SOCIALCHEF):
        lines.append(_("`/frister statistik` – counts for the enhet"))
    if role is Role.ADMIN:
        lines = admin_lines()
    lines.append(_("`/frister hjälp` – this list"))
    return ctx.layout.pages(
        _("Frister's commands"),
        lines,
        context=_(
            "Short forms work too: `förs`, `stat`, `hj`. Never write personnummer in Frister."
        ),
    )


async def handle_help(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Help
) -> Answer:
    return Answer(help_pages(ctx, actor(me).role))


async def handle_usage(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Usage
) -> Answer:
    parts = []
    if c.problem is cmd.Problem.EXTRA:
        name = cmd.CANONICAL.get(c.command, c.command)
        parts.append(_(PROBLEMS[c.problem]).format(word=c.word or "", command=name))
    elif c.problem is not cmd.Problem.MISSING:
        parts.append(_(PROBLEMS[c.problem]))
    usage = USAGE.get(c.command)
    parts.append(_(usage) if usage else _("`/frister hjälp` lists every command."))
    return short_answer(" ".join(parts))


async def handle_unknown(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Unknown
) -> Answer:
    text = _("I did not understand “{word}”.").format(word=c.word)
    if c.suggestion:
        text += " " + _("Did you mean `/frister {command}`?").format(command=c.suggestion)
    text += " " + _("`/frister hjälp` lists every command.")
    return short_answer(text)
