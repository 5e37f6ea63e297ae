"""What the listeners share: the chat service, the replay check, the answer pool, and
answering a request after its acknowledgement (one helper for slash commands and buttons)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltRequest, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.service import ChatService
from bot.domain.messages import Message
from bot.ports.conversation import Answer, Caller
from bot.services.answer_pool import AnswerPool, busy
from handlers.slack.fallback import failed
from handlers.slack.replay import Replays
from handlers.slack.reply import show

CONTEXT_KEY = "adapter"  # listeners take it as their `adapter` argument (Bolt's context)
log = logging.getLogger("frister.slack")


def caller(user_id: str, channel_id: str | None) -> Caller:
    """Who asks, and where: a channel id starting with D is a direct conversation."""
    return Caller(user_id, channel_id, direct=bool(channel_id and channel_id.startswith("D")))


@dataclass(frozen=True)
class Adapter:
    chat: ChatService
    replays: Replays
    answers: AnswerPool
    wait: bool = False  # Bolt waits for the listener (process_before_response): so does it

    async def answer(
        self,
        ask: Callable[[Caller], Awaitable[Answer]],
        who: Caller,
        *,
        ack: AsyncAck,
        request: AsyncBoltRequest,
        body: dict[str, Any],
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        trigger_id: str | None,
        pressed: bool = False,
        question: bool = False,
    ) -> None:
        """Acknowledge, and have the answer pool answer: unless this delivery is a replay, ask
        the chat service and show its answer. When the pool is full the person is told at
        once to try again (a command in its acknowledgement). With `wait` (Bolt answers
        Slack when the listener ends: FaaS) the listener waits for its answer. A failure is
        answered in the job, not raised to Bolt: after the acknowledgement Bolt's own error
        path can reset it and answer Slack 404 (the person would see Slack's error too)."""

        async def job() -> None:
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
                raise  # counted by the pool

        if self.wait:
            try:
                queued = await self.answers.run(job)
            except Exception:  # the job told the person; the pool counted it
                queued = True
        else:
            queued = self.answers.submit(job)
        if queued:
            await ack()
        elif "command" in body:
            await ack(text=busy())  # shown to the person at once, no further request
        else:
            await ack()
            await self.tell_busy(who, respond, client)

    async def tell_busy(
        self, who: Caller, respond: AsyncRespond | None, client: AsyncWebClient
    ) -> None:
        """A button pressed while the pool is full: "try again", best effort."""
        try:
            answer = Answer(messages=(Message(busy()),))
            await show(answer, chat=self.chat, client=client, user_id=who.user_id, respond=respond)
        except Exception as error:
            log.warning("the busy notice was not delivered: %s", type(error).__name__)
