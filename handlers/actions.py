"""Buttons: on reminders (Klar, Påminn i morgon, Jag har koll, Begär förlängning, Visa ärende,
Omfördela), in answers and on the home tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.ports.conversation import Caller
from handlers.replay import seen
from handlers.reply import show

ACTIONS = (
    "frist_klar",
    "frist_snooze",
    "frist_ack",
    "frist_extend",
    "case_show",
    "case_reassign",
    "home_new",
)


def register(app: AsyncApp, services) -> None:
    chat = services.chat

    async def pressed(ack, body, action, respond, client, request) -> None:
        await ack()
        if await seen(services, request, body):
            return
        channel = (body.get("channel") or {}).get("id")
        caller = Caller(
            body["user"]["id"], channel, direct=bool(channel and channel.startswith("D"))
        )
        answer = await chat.button(caller, action["action_id"], str(action.get("value") or ""))
        await show(
            answer,
            chat=chat,
            client=client,
            user_id=caller.user_id,
            respond=respond,
            trigger_id=body.get("trigger_id"),
            pressed=True,
        )

    for action_id in ACTIONS:
        app.action(action_id)(pressed)
