"""Platform-neutral messages: what Frister says, before an adapter renders it.

An adapter renders a `Message` for its platform (Slack: Block Kit with a plain-text fallback).
A message may carry one picture (`Image`, e.g. the egenkontroll chart): Slack uploads it as a
file with the text as its comment, Teams puts it in the card.
"""

from __future__ import annotations

import base64
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
class Image:
    """A picture sent with a message."""

    data: bytes
    filename: str  # e.g. "egenkontroll-2026-11.png"
    alt: str  # what it shows, for screen readers and where pictures are not shown
    mime: str = "image/png"


@dataclass(frozen=True)
class Message:
    text: str  # the plain-text fallback: complete on its own (notifications, screen readers)
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) pairs
    body: tuple[str, ...] = ()  # paragraphs
    actions: tuple[Action, ...] = ()
    context: str | None = None  # a footer line, e.g. the legal reference
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. {"notification": "42"}
    image: Image | None = None


def message_to_json(message: Message) -> str:
    """A message stored in the outbox (alarms, reports): title, body, fields, fallback text
    and the picture (base64)."""
    data: dict[str, object] = {
        "text": message.text,
        "title": message.title,
        "body": list(message.body),
        "fields": [list(pair) for pair in message.fields],
        "context": message.context,
    }
    if message.image is not None:
        image = message.image
        data["image"] = {
            "data": base64.b64encode(image.data).decode("ascii"),
            "filename": image.filename,
            "alt": image.alt,
            "mime": image.mime,
        }
    return json.dumps(data, ensure_ascii=False)


def message_from_json(data: str) -> Message:
    raw = json.loads(data)
    image = raw.get("image")
    return Message(
        text=raw["text"],
        title=raw.get("title", ""),
        body=tuple(raw.get("body", ())),
        fields=tuple(tuple(pair) for pair in raw.get("fields", ())),
        context=raw.get("context"),
        image=None
        if image is None
        else Image(base64.b64decode(image["data"]), image["filename"], image["alt"], image["mime"]),
    )
