"""`/frister`: acknowledge at once, then answer through the response_url."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.domain import markup
from bot.ports.conversation import Caller
from handlers.replay import seen
from handlers.reply import show

COMMAND = "/frister"


_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>")


def unescape(text: str) -> str:
    """Slack sends &, < and > of typed text as &amp;, &lt; and &gt;."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def neutral_mentions(text: str) -> str:
    """Slack's mentions in a command (`<@U123|anna>`, `<@U123>`) as neutral markup."""
    return _SLACK_MENTION.sub(lambda m: markup.mention(m[1]), markup.strip(text))


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
        text = neutral_mentions(unescape(command.get("text") or ""))
        answer = await chat.command(caller, text)
        await show(
            answer,
            chat=chat,
            client=client,
            user_id=caller.user_id,
            respond=respond,
            trigger_id=command.get("trigger_id"),
        )
