"""`/frister`: acknowledge at once, then answer through the response_url."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.ports.conversation import Caller
from handlers.replay import seen
from handlers.reply import show

COMMAND = "/frister"


def unescape(text: str) -> str:
    """Slack sends &, < and > of typed text as &amp;, &lt; and &gt;."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def register(app: AsyncApp, services) -> None:
    chat = services.chat

    @app.command(COMMAND)
    async def frister(ack, command, respond, client, request, body) -> None:
        await ack()
        if await seen(services, request, body):
            return
        channel = command.get("channel_id")
        caller = Caller(
            command["user_id"], channel, direct=bool(channel and channel.startswith("D"))
        )
        answer = await chat.command(caller, unescape(command.get("text") or ""))
        await show(
            answer,
            chat=chat,
            client=client,
            user_id=caller.user_id,
            respond=respond,
            trigger_id=command.get("trigger_id"),
        )
