"""`/frister`: acknowledge at once, then answer through the response_url (the answer pool)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.adapter import Adapter, caller
from handlers.slack.mentions import from_slack
from handlers.slack.replay import is_question

COMMAND = "/frister"


async def frister(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    request: AsyncBoltRequest,
    body: dict[str, Any],
    adapter: Adapter,
) -> None:
    text = from_slack(command.get("text") or "")
    await adapter.answer(
        lambda who: adapter.chat.command(who, text),
        caller(command["user_id"], command.get("channel_id")),
        ack=ack,
        request=request,
        body=body,
        respond=respond,
        client=client,
        trigger_id=command.get("trigger_id"),
        question=is_question(adapter.chat, text),
    )


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(frister)
