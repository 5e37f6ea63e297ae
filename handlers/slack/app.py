"""The Bolt app: listeners per kind (commands, actions, views, events), built from a composition
root's services, with an error handler (handlers.slack.fallback). Slack's request signature and
timestamp (5 minutes) are checked by Bolt's own middleware; a replayed request or a retried
event is then recognised here and changes nothing."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack import actions, commands, events, views
from handlers.slack.adapter import CONTEXT_KEY, Adapter
from handlers.slack.fallback import failed
from handlers.slack.limits import SLACK_LIMITS
from handlers.slack.replay import RecentKeys, Replays, acks_first
from handlers.slack.respond import SharedRespond

BOLT_LOGGER = "frister.slack.bolt"
# Their DEBUG logs print request bodies, which may hold what people typed: never below INFO.
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", BOLT_LOGGER)


class _SameToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment and warns that it goes unused beside
    the given client: the client carries that very token, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


def build(
    services,
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    process_before_response: bool = False,
    recent: RecentKeys | None = None,
) -> AsyncApp:
    """The Bolt app for `services` (bot.bootstrap.Services), calling the Web API with
    `client`; response_urls are posted to through the client's session when it has one
    (closed by its owner). HTTP mode needs the signing secret; Socket Mode does not use it.
    `recent`: the memory of read-only questions already answered (by default for Slack's
    replay window)."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    bolt_logger = logging.getLogger(BOLT_LOGGER)
    if not any(isinstance(f, _SameToken) for f in bolt_logger.filters):
        bolt_logger.addFilter(_SameToken())
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
        logger=logging.getLogger(BOLT_LOGGER),
    )
    recent = recent if recent is not None else RecentKeys(SLACK_LIMITS.replay_memory)
    replays = Replays(services.chat, recent)
    adapter = Adapter(services.chat, replays, services.answers, wait=process_before_response)
    session = client.session  # the process's one HTTP session (None: one per call)

    async def provide(context: AsyncBoltContext, next) -> BoltResponse:
        context[CONTEXT_KEY] = adapter
        if session is not None and context.response_url:
            context["respond"] = SharedRespond(response_url=context.response_url, session=session)
        return await next()

    async def once_only(req: AsyncBoltRequest, body: dict[str, Any], next) -> BoltResponse:
        if acks_first(body):
            return await next()  # commands and buttons: checked after their ack (Adapter.answer)
        if await adapter.replays.seen(req, body):
            return BoltResponse(status=200, body="")
        return await next()

    bolt.middleware(provide)
    bolt.middleware(once_only)
    for listeners in (commands, actions, views, events):
        listeners.register(bolt)
    bolt.error(failed)
    return bolt
