"""Who may do what in chat: the caller as access control sees them, refusals and the audit.

A refusal is logged (who, what) and audited without case details; a stranger (not in the staff
register, or inactive) gets a polite answer and nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.domain.access import Action, Actor, Target, allowed
from bot.domain.roles import Role
from bot.i18n import _
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer
from bot.ports.unit_of_work import Stores

from .context import ChatContext
from .labels import OTHERS_CASE, REFUSALS
from .rendering import short_answer

log = logging.getLogger("frister.access")


def actor(me: StaffInfo) -> Actor:
    """The person as access control sees them; a role Frister does not know allows nothing."""
    known = me.role in Role._value2member_map_
    role = Role(me.role) if known else Role.HANDLAGGARE
    return Actor(me.stored_id, role, me.enhet_id, me.active and known)


def who(me: StaffInfo) -> str:
    """The audit trail's name for a member of staff."""
    return me.chat_user_id or str(me.id)


async def stranger(ctx: ChatContext, uow: Stores, user_id: str, what: str) -> Answer:
    """An unknown or inactive user: a polite answer and nothing else."""
    log.warning("refused: unknown user %s tried %s", user_id, what)
    await uow.audit.append(
        user_id[:40],
        "atkomst_nekad",
        None,
        {"atgard": what[:40], "okand_anvandare": True},
        ctx.clock.now(),
    )
    return short_answer(
        _(
            "Hello! You are not in Frister's staff register, so I cannot show you anything. "
            "Ask your chef or Frister's administrator to add you."
        )
    )


async def refuse(
    ctx: ChatContext, uow: Stores, me: StaffInfo, action: Action, why: str | None = None
) -> Answer:
    """Refuse, and log and audit who tried what (never which case)."""
    log.warning("refused: user %s (%s) tried %s", me.chat_user_id, me.role, action.value)
    await uow.audit.append(
        who(me), "atkomst_nekad", None, {"atgard": action.value, "roll": me.role}, ctx.clock.now()
    )
    reason = why or _(REFUSALS.get(action, OTHERS_CASE))
    return short_answer(_("You do not have access to that.") + " " + reason)


async def audit(
    ctx: ChatContext,
    uow: Stores,
    me: StaffInfo,
    action: str,
    code: str | None,
    detail: dict[str, Any],
) -> None:
    """Append a change made in chat to the audit trail (never free text)."""
    await uow.audit.append(who(me), action, code, detail, ctx.clock.now())


async def target(
    ctx: ChatContext, uow: Stores, me: StaffInfo, enhet_id: int | None, owner_id: int | None
) -> Target:
    """A case as access control sees it: whose, and whether `me` stands in for the owner."""
    stands_in = False
    if owner_id is not None and owner_id != me.id:
        owner = (await uow.chat.staff_by_ids([owner_id])).get(owner_id)
        stands_in = bool(
            owner is not None and owner.substitute_id == me.id and owner.absent_on(ctx.today())
        )
    return Target(enhet_id, owner_id, stands_in)


async def may(
    ctx: ChatContext,
    uow: Stores,
    me: StaffInfo,
    action: Action,
    enhet_id: int | None,
    owner_id: int | None,
) -> bool:
    return allowed(actor(me), action, await target(ctx, uow, me, enhet_id, owner_id))
