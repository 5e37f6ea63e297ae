"""The Messenger port: what Frister needs from a chat platform (Slack now, Teams later).

Messages are platform-neutral; an adapter renders them (Slack: Block Kit with a plain-text
fallback). Adapters raise the DeliveryError subclasses below so that the delivery service can
decide, without knowing the platform, whether to wait, retry or report a permanent failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Action:
    """A button. `id` names the handler (e.g. `frist_klar`), `value` what it acts on."""

    id: str
    label: str
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Message:
    text: str  # the plain-text fallback: complete on its own (notifications, screen readers)
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) pairs
    body: tuple[str, ...] = ()  # paragraphs
    actions: tuple[Action, ...] = ()
    context: str | None = None  # a footer line, e.g. the legal reference
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. {"notification": "42"}


def message_to_json(message: Message) -> str:
    """A message stored in the outbox (alarms): title, body, fields and fallback text."""
    return json.dumps(
        {
            "text": message.text,
            "title": message.title,
            "body": list(message.body),
            "fields": [list(pair) for pair in message.fields],
            "context": message.context,
        },
        ensure_ascii=False,
    )


def message_from_json(data: str) -> Message:
    raw = json.loads(data)
    return Message(
        text=raw["text"],
        title=raw.get("title", ""),
        body=tuple(raw.get("body", ())),
        fields=tuple(tuple(pair) for pair in raw.get("fields", ())),
        context=raw.get("context"),
    )


class DeliveryError(Exception):
    """Base of every delivery outcome other than success."""


class RateLimited(DeliveryError):
    """The platform asked us to wait (HTTP 429 + Retry-After). Nothing was posted."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class TransientFailure(DeliveryError):
    """5xx, timeout, connection reset. `maybe_delivered` when the request may have reached
    the platform (the answer was lost): a retry may then post a duplicate."""

    def __init__(self, reason: str, maybe_delivered: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.maybe_delivered = maybe_delivered


class PermanentFailure(DeliveryError):
    """Retrying will not help (user gone, channel gone, bad token): a person must act."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "cannot_dm_bot",
        "user_disabled",
        "restricted_action",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
    }
)


class Messenger(Protocol):
    async def open_direct(self, user_id: str) -> str:
        """The direct-message channel with a user (cached by the adapter)."""
        ...

    async def post(self, channel: str, message: Message) -> str:
        """Post a message; returns its id (Slack: ts)."""
        ...

    async def user_by_email(self, email: str) -> str:
        """A user's chat id from their e-mail address."""
        ...
