"""SlackMessenger: the Messenger port on the Slack Web API (slack_sdk's AsyncWebClient).

Every Web API call goes through `SlackMessenger._call`, which turns each failure into one of the
port's DeliveryError classes (handlers.slack.errors); messages are rendered by
handlers.slack.blocks.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.messages import Message
from handlers.slack.blocks import render_blocks, render_text
from handlers.slack.errors import classify

METADATA_EVENT_TYPE = "frister_notification"


def make_client(
    token: str,
    base_url: str,
    timeout: float = 10.0,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """A Web API client without slack_sdk's retries: Frister's delivery service owns retries.
    With a `session` every call reuses its connections (its owner closes it); without, each
    call opens its own."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk says int; aiohttp takes a float
        retry_handlers=[],
        session=session,
    )


class SlackMessenger:
    """The Messenger port on Slack. Raises only DeliveryError subclasses for call failures."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._direct: dict[str, str] = {}

    async def _call(self, method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Call a Web API method ("chat.postMessage" -> client.chat_postMessage)."""
        function = getattr(self.client, method.replace(".", "_"))
        try:
            return await function(**kwargs)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError, AttributeError) as exc:
            error = classify(method, exc)
            if error is None:
                raise
            raise error from exc

    async def open_direct(self, user_id: str) -> str:
        channel = self._direct.get(user_id)
        if channel is None:
            response = await self._call("conversations.open", users=user_id)
            channel = str(response["channel"]["id"])
            self._direct[user_id] = channel
        return channel

    async def post(self, channel: str, message: Message) -> str:
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": render_text(message),
            "blocks": render_blocks(message),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if message.metadata:
            kwargs["metadata"] = {
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": dict(message.metadata),
            }
        response = await self._call("chat.postMessage", **kwargs)
        return str(response["ts"])

    async def user_by_email(self, email: str) -> str:
        response = await self._call("users.lookupByEmail", email=email)
        return str(response["user"]["id"])
