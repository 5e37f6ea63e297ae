"""Buttons: on reminders (Klar, Påminn i morgon, Jag har koll, Begär förlängning, Visa ärende,
Omfördela), in answers (Ångra after Klar) and on the home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.adapter import Adapter, caller

ACTIONS = (
    "frist_klar",
    "frist_snooze",
    "frist_ack",
    "frist_extend",
    "frist_undo",
    "case_show",
    "case_reassign",
    "home_new",
)


async def pressed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond | None,  # None on the home tab (no response_url)
    client: AsyncWebClient,
    request: AsyncBoltRequest,
    adapter: Adapter,
) -> None:
    action_id, value = action["action_id"], str(action.get("value") or "")
    await adapter.answer(
        lambda who: adapter.chat.button(who, action_id, value),
        caller(body["user"]["id"], (body.get("channel") or {}).get("id")),
        ack=ack,
        request=request,
        body=body,
        respond=respond,
        client=client,
        trigger_id=body.get("trigger_id"),
        pressed=True,
    )


def register(app: AsyncApp) -> None:
    for action_id in ACTIONS:
        app.action(action_id)(pressed)
