"""What crosses between a chat adapter and the chat service: who asks, and what to show."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.forms import Form
from bot.domain.messages import Message


@dataclass(frozen=True)
class Caller:
    """The person asking, as the platform names them, and where they asked."""

    user_id: str
    channel_id: str | None = None
    direct: bool = False  # asked in a direct conversation with Frister, not in a channel


@dataclass(frozen=True)
class Answer:
    """What to show: messages (ephemeral unless `public`), a form to open, a message to
    replace (the one whose button was pressed) and whose home tabs to refresh."""

    messages: tuple[Message, ...] = ()
    public: bool = False
    form: Form | None = None
    replace: Message | None = None
    refresh: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormResult:
    errors: dict[str, str] = field(default_factory=dict)
    view: Form | None = None  # the result view (or the form again, with a problem on top)
    refresh: tuple[str, ...] = ()
