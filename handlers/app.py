"""The Bolt app: listeners per kind (commands, actions, views, events), built from a composition
root's services. Slack's request signature and timestamp (5 minutes) are checked by Bolt's own
middleware; a replayed request or a retried event is then recognised here and changes nothing."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers import actions, commands, events, views
from handlers.replay import acks_first, request_key

log = logging.getLogger("frister.slack")
BOLT_LOGGER = "frister.slack.bolt"
# Their DEBUG logs print request bodies, which may hold what people typed: never below INFO.
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", BOLT_LOGGER)


def build(
    services,
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    process_before_response: bool = False,
) -> AsyncApp:
    """The Bolt app for `services` (bot.bootstrap.Services), calling the Web API with
    `client`. HTTP mode needs the signing secret; Socket Mode does not use it."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
        logger=logging.getLogger(BOLT_LOGGER),
    )

    async def once_only(req: AsyncBoltRequest, body: dict, next) -> BoltResponse:
        if acks_first(body):
            return await next()  # commands and buttons: checked after their ack (seen())
        key = request_key(req, body)
        if key is not None and not await services.chat.remember(key):
            log.info("a replayed request or retried event was ignored")
            return BoltResponse(status=200, body="")
        return await next()

    bolt.middleware(once_only)
    commands.register(bolt, services)
    actions.register(bolt, services)
    views.register(bolt, services)
    events.register(bolt, services)
    return bolt
