"""SlackMessenger: the Messenger port on the Slack Web API (slack_sdk's AsyncWebClient).

Every Web API call goes through `SlackMessenger._call`, which turns each failure into one of the
port's DeliveryError classes (handlers.slack.errors); messages are rendered by
handlers.slack.blocks.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.messages import Message
from bot.ports.messenger import PermanentFailure, TransientFailure
from handlers.slack.blocks import render_blocks, render_text
from handlers.slack.errors import classify

METADATA_EVENT_TYPE = "frister_notification"
NO_FILES = frozenset({"missing_scope"})  # files:write not granted

log = logging.getLogger(__name__)


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
        if message.image is not None:
            return await self._upload(channel, message)
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

    async def _upload(self, channel: str, message: Message) -> str:
        """A message with a picture: the file, with the text as its comment, in one post
        (files.uploadV2: getUploadURLExternal, the upload, completeUploadExternal)."""
        assert message.image is not None
        image = message.image
        try:
            response = await self._call(
                "files.upload_v2",
                channel=channel,
                file=image.data,
                filename=image.filename,
                title=message.title or image.filename,
                alt_txt=image.alt[:1000],
                initial_comment=render_text(message),
            )
        except SlackRequestError as exc:  # the upload itself failed: nothing was shared
            raise TransientFailure(f"files.upload_v2: {exc}", maybe_delivered=False) from exc
        except PermanentFailure as failure:
            if failure.code not in NO_FILES:
                raise
            # An app installed before it asked for files:write: the text still goes out.
            log.warning("cannot upload files (%s): posting the text alone", failure.code)
            return await self.post(channel, replace(message, image=None))
        return str(response["files"][0]["id"])

    async def user_by_email(self, email: str) -> str:
        response = await self._call("users.lookupByEmail", email=email)
        return str(response["user"]["id"])
