"""`respond()` on the process's one HTTP session: a post to a response_url reuses its
connections instead of opening a new client and TCP connection per answer (Bolt's own
`AsyncRespond` does that).

The JSON is posted with the session itself rather than through slack_sdk's webhook client,
which per post builds a client (user agent, proxy lookup, retry handlers) and formats the
whole body and the response's headers into debug strings that are never logged. What it
adds is kept: slack_sdk's default retry handlers (one retry after a connection error, e.g. a
kept-alive connection the other end closed) and its `WebhookResponse`."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.http_retry.builtin_async_handlers import async_default_handlers
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook import WebhookResponse

HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
RETRIES = async_default_handlers()  # stateless: a post's attempts are counted in its RetryState


@cache
def _proxy() -> str | None:
    """The proxy from HTTPS_PROXY/HTTP_PROXY, as slack_sdk's clients take it."""
    return load_http_proxy_from_env(logging.getLogger("frister.slack"))


async def post(
    session: aiohttp.ClientSession, url: str, message: dict[str, Any]
) -> WebhookResponse:
    """Post `message` as JSON to `url`, as slack_sdk's AsyncWebhookClient.send_dict does
    (with a session of its own when `session` is closed: the process is shutting down)."""
    if session.closed:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as own:
            return await post(own, url, message)
    message = {key: value for key, value in message.items() if value is not None}
    body = json.dumps(message)
    state: RetryState | None = None
    while True:
        try:
            async with session.post(url, data=body, headers=HEADERS, proxy=_proxy()) as response:
                return WebhookResponse(
                    url=url,
                    status_code=response.status,
                    body=await response.text(),
                    headers=response.headers,  # type: ignore[arg-type]
                )
        except Exception as error:
            state = state or RetryState()
            request = HttpRequest(method="POST", url=url, headers=HEADERS, body_params=message)
            for handler in RETRIES:
                if await handler.can_retry_async(state=state, request=request, error=error):
                    await handler.prepare_for_next_attempt_async(
                        state=state, request=request, error=error
                    )
                    break
            else:
                raise


class SharedRespond(AsyncRespond):
    """Bolt's `respond` for one request, posting through `session`."""

    def __init__(self, *, response_url: str | None, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(
        self,
        text: str | dict = "",
        blocks: Sequence[dict | Block] | None = None,
        attachments: Sequence[dict | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        return await post(self.session, self.response_url, message)
