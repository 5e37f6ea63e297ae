"""Delivery problems: each reported once while it lasts (runtime state keyed by who and
cause), forgotten when the person is registered anew or the channel is reached again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain import markup
from bot.domain.recipients import REPORTED_STATE, UNREACHABLE_STATE
from bot.ports.messenger import Problem
from bot.ports.outbox import ChatAddress
from bot.ports.unit_of_work import Stores


async def clear_reported(uow: Stores, whos: Iterable[str], now: datetime) -> None:
    """These chat ids or channel addresses can be reached again: forget their problems, so a
    new one is reported (and rerouted) again."""
    wanted = set(whos)
    marks = await uow.outbox.get_state(REPORTED_STATE)
    marks |= await uow.outbox.get_state(UNREACHABLE_STATE)
    for key, entry in marks.items():
        who = key.removeprefix(REPORTED_STATE).rsplit(":", 1)[0]
        if key.startswith(UNREACHABLE_STATE):
            who = key.removeprefix(UNREACHABLE_STATE)
        if entry.value and who in wanted:
            await uow.outbox.set_state(key, "", now)


def problem_key(chat_id: str | None, recipient: str, problem: Problem, error: str) -> str:
    """The runtime-state key of one problem (who, cause): it is reported once while it lasts."""
    cause = error if problem is Problem.UNKNOWN else problem.value
    return f"{REPORTED_STATE}{chat_id or recipient}:{cause}"[:80]


def named(who: ChatAddress | None, recipient: str) -> str:
    """The person as the chat names them (a mention), else their e-mail, else the address."""
    if who is None:
        kind, _sep, value = recipient.partition(":")
        return markup.channel(value) if kind == "channel" and value else recipient
    if who.chat_user_id:
        return markup.mention(who.chat_user_id)
    return who.email or recipient
