"""Replays: Slack may deliver a request twice (retries, or a replayed signed request inside
its 5-minute window). Each delivery is remembered by a key; a repeat changes nothing."""

from __future__ import annotations

import hashlib
import json
import logging

from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger("frister.slack")


def request_key(request: AsyncBoltRequest, body: dict) -> str | None:
    """What identifies a delivery from Slack: the event id of an event (Slack retries keep it),
    else a digest of the whole signed body (every command and interaction has its own
    trigger_id, so only a replay has the same body)."""
    kind = body.get("type")
    if kind in ("url_verification",) or body.get("ssl_check"):
        return None
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    # HTTP mode: the signed raw body. Socket Mode hands Bolt the parsed payload only.
    raw = request.raw_body or json.dumps(body, sort_keys=True, ensure_ascii=False)
    return "req:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def acks_first(body: dict) -> bool:
    """Slash commands and buttons acknowledge first and check for a replay after (`seen`):
    Slack's 3 seconds are never spent on the database."""
    return "command" in body or body.get("type") == "block_actions"


async def seen(services, request: AsyncBoltRequest, body: dict) -> bool:
    """True when this delivery was handled before (a replay): then do nothing more."""
    key = request_key(request, body)
    if key is not None and not await services.chat.remember(key):
        log.info("a replayed request was ignored")
        return True
    return False
