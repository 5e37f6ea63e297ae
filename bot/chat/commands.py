"""`/frister TEXT`: parse it, find the caller, and run the command's handler.

HANDLERS maps each command type (bot.domain.commands) to its handler. Questions (READ_ONLY)
run in a read-only transaction, so they never wait for a writer; the audit rows of a refusal
are collected and written afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.audit import AuditRecord
from bot.domain.roles import Role
from bot.domain.screening import find_identifiers
from bot.ports.audit import AuditEntry, AuditStore
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, Caller
from bot.ports.unit_of_work import Stores

from .absence import handle_absence
from .access import actor, refuse, stranger
from .admin import (
    handle_adminescalation,
    handle_adminlink,
    handle_adminoverview,
    handle_adminrole,
)
from .case_view import handle_showcase
from .context import ChatContext
from .deadlines import handle_extend, handle_markdone
from .forms import register_form
from .guidance import handle_help, handle_unknown, handle_usage
from .labels import identifier_refusal
from .overviews import handle_mine, handle_overdue, handle_statistics, handle_team
from .people import takers
from .reassign import handle_reassign
from .rendering import short_answer
from .workload import handle_workload

Handler = Callable[[ChatContext, Stores, Caller, StaffInfo, Any], Awaitable[Answer]]

READ_ONLY = (
    cmd.Mine,
    cmd.Overdue,
    cmd.Team,
    cmd.ShowCase,
    cmd.Statistics,
    cmd.Workload,
    cmd.Help,
    cmd.Usage,
    cmd.Unknown,
    cmd.AdminOverview,
)


async def handle_register(
    ctx: ChatContext, uow: Stores, caller: Caller, me: StaffInfo, c: cmd.Register
) -> Answer:
    """`ny`: the form to register an event."""
    if actor(me).role is Role.ADMIN:
        return await refuse(ctx, uow, me, Action.REGISTER_EVENT)
    return Answer(form=register_form(ctx, me, await takers(uow, me)))


HANDLERS: dict[type, Handler] = {
    cmd.Mine: handle_mine,
    cmd.Overdue: handle_overdue,
    cmd.Team: handle_team,
    cmd.ShowCase: handle_showcase,
    cmd.Register: handle_register,
    cmd.MarkDone: handle_markdone,
    cmd.Extend: handle_extend,
    cmd.Absence: handle_absence,
    cmd.Reassign: handle_reassign,
    cmd.Statistics: handle_statistics,
    cmd.Workload: handle_workload,
    cmd.Help: handle_help,
    cmd.AdminOverview: handle_adminoverview,
    cmd.AdminLink: handle_adminlink,
    cmd.AdminEscalation: handle_adminescalation,
    cmd.AdminRole: handle_adminrole,
    cmd.Usage: handle_usage,
    cmd.Unknown: handle_unknown,
}


def is_question(text: str) -> bool:
    """True when `/frister TEXT` only reads: a question, or text refused for an identifier."""
    return bool(find_identifiers(text or "")) or isinstance(cmd.parse(text), READ_ONLY)


class _AuditLater:
    """The audit store of read-only work: entries are collected, to be written afterwards;
    reading goes to the real store."""

    def __init__(self, store: AuditStore, entries: list[AuditEntry]) -> None:
        self.store = store
        self.entries = entries

    async def append(
        self,
        actor: str,
        action: str,
        code: str | None,
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        self.entries.append((actor, action, code, detail or {}))

    async def append_many(self, entries: Sequence[AuditEntry], now: datetime) -> None:
        self.entries.extend(entries)

    def records(self, batch: int = 5000) -> AsyncIterator[AuditRecord]:
        return self.store.records(batch)

    async def head(self) -> tuple[int, str]:
        return await self.store.head()

    async def count(self) -> int:
        return await self.store.count()


async def answer_command(ctx: ChatContext, caller: Caller, text: str) -> Answer:
    """The answer to `/frister TEXT`."""
    if find_identifiers(text or ""):
        return short_answer(identifier_refusal())
    parsed = cmd.parse(text)
    handler = HANDLERS[type(parsed)]
    if not isinstance(parsed, READ_ONLY):
        async with ctx.unit_of_work() as uow:
            me = await uow.chat.staff_by_chat_id(caller.user_id)
            if me is None or not me.active:
                return await stranger(ctx, uow, caller.user_id, "command")
            return await handler(ctx, uow, caller, me, parsed)
    audits: list[AuditEntry] = []
    async with ctx.unit_of_work(readonly=True) as uow:
        reader = replace(uow, audit=_AuditLater(uow.audit, audits))
        me = await ctx.askers.staff(uow, caller.user_id, ctx.today())
        if me is None or not me.active:
            answer = await stranger(ctx, reader, caller.user_id, "command")
        else:
            answer = await handler(ctx, reader, caller, me, parsed)
    if audits:  # audit rows only: the askers are not forgotten for them
        async with ctx.audit_unit_of_work() as uow:
            await uow.audit.append_many(audits, ctx.clock.now())
    return answer
