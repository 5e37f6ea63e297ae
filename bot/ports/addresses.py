"""Where a platform can reach a person or a channel without being asked first (proactive
messages). Slack needs no address book; Teams needs the conversation and service URL it saw
when the app was installed or first spoken to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Address:
    platform: str  # "teams"
    key: str  # the platform's id of the person (Teams: Entra object id) or of the channel
    conversation_id: str
    service_url: str
    tenant_id: str | None
    updated_at: datetime
    name: str | None = None  # the display name the platform showed (people are named, not ids)


class AddressBook(Protocol):
    async def remember(self, address: Address) -> None:
        """Store or replace the address for (platform, key)."""
        ...

    async def lookup(self, platform: str, key: str) -> Address | None: ...
