"""The Messenger port: what Frister needs from a chat platform (Slack now, Teams later).

Messages are platform-neutral; an adapter renders them (Slack: Block Kit with a plain-text
fallback). Adapters raise the DeliveryError subclasses below so that the delivery service can
decide, without knowing the platform, whether to wait, retry or report a permanent failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
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


class Problem(StrEnum):
    """What a permanent failure means, whatever the platform called it: each adapter maps its
    own error codes here (one table per adapter), the core words each problem in Swedish."""

    ACCOUNT_INACTIVE = "account_inactive"  # the person's account is deactivated
    PERSON_NOT_FOUND = "person_not_found"
    NO_ADDRESS = "no_address"  # Frister has no way to reach the person (no id, no 1:1 chat)
    BLOCKED = "blocked"  # the person has blocked or removed the app
    CHANNEL_NOT_FOUND = "channel_not_found"
    NOT_IN_CHANNEL = "not_in_channel"  # the bot is not a member of the channel
    CHANNEL_ARCHIVED = "channel_archived"
    NOT_ALLOWED = "not_allowed"  # token, scope or permission
    REJECTED = "rejected"  # the platform refused the message itself (too long, invalid)
    UNKNOWN = "unknown"


# Problems of the person, not of Frister or a channel: their reminders go to the chef instead.
PERSON_PROBLEMS = frozenset(
    {Problem.ACCOUNT_INACTIVE, Problem.PERSON_NOT_FOUND, Problem.NO_ADDRESS, Problem.BLOCKED}
)


class PermanentFailure(DeliveryError):
    """Retrying will not help (user gone, channel gone, bad token): a person must act.
    `code` is the platform's own word (for logs and `frister status`), `problem` its meaning."""

    def __init__(self, code: str, problem: Problem = Problem.UNKNOWN) -> None:
        super().__init__(code)
        self.code = code
        self.problem = problem


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
