"""Platform-neutral messages: what Frister says, before an adapter renders it.

An adapter renders a `Message` for its platform (Slack: Block Kit with a plain-text fallback).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


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
