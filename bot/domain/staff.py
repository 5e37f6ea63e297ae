"""A member of staff: who works where, in which role, and who stands in when they are away.

One type for every use: a row of the staff register (no database id yet), a recipient on the
escalation ladder and the person asking in chat. Never a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.roles import Role

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,30}$")
ENTRA_OBJECT_ID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


def is_platform_user_id(text: str) -> bool:
    """A chat platform's user id: Slack's `U…`/`W…`, or a Microsoft Entra object id (Teams)."""
    return bool(SLACK_USER_ID.match(text) or ENTRA_OBJECT_ID.match(text))


def normal_user_id(text: str) -> str:
    """The one spelling Frister stores: Entra object ids in lower case (as Teams sends them),
    Slack ids as they are."""
    text = text.strip()
    return text.lower() if ENTRA_OBJECT_ID.match(text) else text


@dataclass(frozen=True, kw_only=True)
class StaffMember:
    role: Role
    id: int | None = None  # the database id; None for a register row not yet stored
    chat_user_id: str | None = None  # as the chat platform names them (Slack U…, Entra GUID)
    email: str | None = None
    name: str | None = None  # as people know them (reports, CLI); chat shows a mention
    enhet_id: int | None = None
    enhet: str | None = None  # the enhet's name
    active: bool = True
    absent_from: date | None = None
    absent_to: date | None = None
    substitute_id: int | None = None
    substitute_chat_id: str | None = None  # the substitute as the register names them

    @property
    def stored_id(self) -> int:
        """The database id of someone read from the store (always set there)."""
        if self.id is None:
            raise ValueError("a staff register row that is not stored has no id")
        return self.id

    def absent_on(self, day: date) -> bool:
        if self.absent_from is None:
            return False
        return self.absent_from <= day <= (self.absent_to or self.absent_from)

    def available_on(self, day: date) -> bool:
        return self.active and not self.absent_on(day)
