"""Forms (modals) as platform-neutral data: what to ask, with which choices and defaults.

The chat service describes a form; an adapter renders it (Slack: a modal with input blocks) and
hands the submitted values back as `{field id: text or None}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.domain.messages import Message

FieldKind = Literal["select", "date", "text", "long_text", "user", "checkbox"]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    kind: FieldKind
    choices: tuple[Choice, ...] = ()
    initial: str | None = None
    optional: bool = False
    hint: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    """A modal. Without fields it is a result view (only a close button)."""

    kind: str  # names the form's handler, e.g. "ny", "forlang", "omfordela"
    title: str
    fields: tuple[FormField, ...] = ()
    submit: str | None = None
    close: str | None = None
    intro: Message | None = None  # shown above the fields (or alone in a result view)
    state: dict[str, str] = field(default_factory=dict)  # handed back on submit


Values = dict[str, str | None]
