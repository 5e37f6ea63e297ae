"""The Messenger port: what Frister needs from a chat platform (Slack now, Teams later).

Messages are platform-neutral; an adapter renders them (Slack: Block Kit with a plain-text
fallback). Adapters raise the DeliveryError subclasses below so that the delivery service can
decide, without knowing the platform, whether to wait, retry or report a permanent failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.messages import Message


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


class Messenger(Protocol):
    async def open_direct(self, user_id: str) -> str:
        """The direct-message channel with a user (cached by the adapter)."""
        ...

    async def post(self, channel: str, message: Message) -> str:
        """Post a message, with its `image` if it has one (Slack: a file upload carrying the
        text; Teams: an image in the card); returns its id (Slack: ts, or the file's id)."""
        ...

    async def user_by_email(self, email: str) -> str:
        """A user's chat id from their e-mail address."""
        ...


@dataclass(frozen=True)
class Limits:
    """What a platform allows; the core shapes answers and paces delivery by these."""

    pace: float  # seconds between two messages to one conversation
    max_pages: int  # messages in one answer
    page_chars: int  # characters in one message's plain text
    paragraphs_per_page: int
    paragraph_chars: int  # characters in one paragraph (one rendered text block)
    lines_per_paragraph: int
    replay_memory: timedelta  # how long a request id is remembered (> the platform's retries)
