"""What the listeners share: the chat service, the replay check, and answering a request
after its acknowledgement (one helper for slash commands and buttons)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.service import ChatService
from bot.ports.conversation import Answer, Caller
from handlers.slack.fallback import failed
from handlers.slack.replay import Replays
from handlers.slack.reply import show

CONTEXT_KEY = "adapter"  # listeners take it as their `adapter` argument (Bolt's context)


def caller(user_id: str, channel_id: str | None) -> Caller:
    """Who asks, and where: a channel id starting with D is a direct conversation."""
    return Caller(user_id, channel_id, direct=bool(channel_id and channel_id.startswith("D")))


@dataclass(frozen=True)
class Adapter:
    chat: ChatService
    replays: Replays

    async def answer(
        self,
        ask: Callable[[Caller], Awaitable[Answer]],
        who: Caller,
        *,
        request: AsyncBoltRequest,
        body: dict[str, Any],
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        trigger_id: str | None,
        pressed: bool = False,
        question: bool = False,
    ) -> None:
        """Unless this delivery is a replay, ask the chat service and show its answer. A
        failure is answered here, not raised: after the acknowledgement Bolt's own error path
        can reset it and answer Slack 404 (the person would see Slack's error too)."""
        try:
            if await self.replays.seen(request, body, question=question):
                return
            await show(
                await ask(who),
                chat=self.chat,
                client=client,
                user_id=who.user_id,
                respond=respond,
                trigger_id=trigger_id,
                pressed=pressed,
            )
        except Exception as error:
            await failed(error, body, None, respond, client)
