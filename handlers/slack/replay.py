"""Replays: Slack may deliver a request twice (retries, or a replayed signed request inside
its 5-minute window). Each delivery is remembered by a key; a repeat changes nothing.

A change is remembered in the database, so that no replica applies it twice. A read-only
question (`/frister`, `/frister försenade`, …) is remembered in this process only: answering it
twice would be harmless, and it then takes no write lock (SQLite has one for the whole file).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.chat.service import ChatService

log = logging.getLogger("frister.slack")

MEMORY_SIZE = 10_000


def is_question(chat: ChatService, text: str) -> bool:
    """True when `/frister text` only reads (the chat service decides)."""
    return chat.is_question(text)


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
    """Slash commands and buttons acknowledge first and check for a replay after
    (`Replays.seen`): Slack's 3 seconds are never spent on the database."""
    return "command" in body or body.get("type") == "block_actions"


class RecentKeys:
    """Keys seen by this process within `keep`; at most `size`, the oldest forgotten first."""

    def __init__(
        self,
        keep: timedelta,
        *,
        size: int = MEMORY_SIZE,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep = keep.total_seconds()
        self.size = size
        self._now = now
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """Remember `key`; False when it was seen within `keep`."""
        now = self._now()
        while self._seen and next(iter(self._seen.values())) <= now - self.keep:
            self._seen.popitem(last=False)  # expired
        if key in self._seen:
            return False
        while len(self._seen) >= self.size:
            self._seen.popitem(last=False)  # the oldest, to make room
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)


class Replays:
    """Recognises a delivery handled before."""

    def __init__(self, chat: ChatService, recent: RecentKeys) -> None:
        self.chat = chat
        self.recent = recent

    async def seen(self, request: AsyncBoltRequest, body: dict, *, question: bool = False) -> bool:
        """True when this delivery was handled before (a replay): then do nothing more.
        A `question` (it only reads) is looked up in this process's memory only."""
        key = request_key(request, body)
        if key is None:
            return False
        first = self.recent.first_time(key) if question else await self.chat.remember(key)
        if not first:
            log.info("a replayed request or retried event was ignored")
        return not first
