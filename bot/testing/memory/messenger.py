"""A chat platform in memory: what was posted, and failures on demand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.messages import Message
from bot.ports.messenger import DeliveryError, Messenger, PermanentFailure, Problem


@dataclass(frozen=True)
class Posted:
    channel: str
    message: Message


class MemoryMessenger:
    """The Messenger port in memory: records posts; `fail_next` makes the next posts raise."""

    def __init__(self, users_by_email: dict[str, str] | None = None) -> None:
        self.posted: list[Posted] = []
        self.users_by_email = users_by_email or {}
        self.failures: list[DeliveryError] = []

    def fail_next(self, *errors: DeliveryError) -> None:
        self.failures.extend(errors)

    async def open_direct(self, user_id: str) -> str:
        return f"D-{user_id}"

    async def post(self, channel: str, message: Message) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append(Posted(channel, message))
        return f"{len(self.posted)}.000"

    async def user_by_email(self, email: str) -> str:
        if email not in self.users_by_email:
            raise PermanentFailure("users_not_found", Problem.PERSON_NOT_FOUND)
        return self.users_by_email[email]


if TYPE_CHECKING:  # the fake implements the port (checked by mypy)
    _messenger: Messenger = MemoryMessenger()
