"""Adaptive Cards 1.5 for Teams: a `Message` as a card in a message activity, a `Form` as a
dialog (task module) card.

Text goes into TextBlocks, which Teams reads as a small Markdown subset. Neutral markup
(bot.domain.markup) becomes `**bold**`; a mention becomes the person's name in bold (or a
neutral word when the name is not known). Characters that would start Markdown in free text
(`*`, `_`, `[`, `]`) are replaced by look-alikes, because backslash escapes show up literally
in some Teams clients. A message activity stays under Teams' ~28 KB limit: long content is cut
and ends with "…"; the buttons and the footer are kept.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

from bot.domain import markup
from bot.domain.forms import Form, FormField
from bot.domain.messages import Message
from bot.i18n import _

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_ACTIVITY_BYTES = 27_000  # Teams refuses messages over about 28 KB; room for the envelope
MAX_SUMMARY = 1000  # the plain-text fallback (notifications, previews)
MAX_TITLE = 200
ELLIPSIS = "…"
STYLES = {"primary": "positive", "danger": "destructive"}

_PAIRS = {"*": "\u2217", "_": "\uff3f", "[": "\uff3b", "]": "\uff3d"}
_LOOK_ALIKES = str.maketrans(_PAIRS)
_ORIGINAL = str.maketrans({v: k for k, v in _PAIRS.items()})

JsonDict = dict[str, Any]


_SLASH_WITH_WORDS = re.compile(r"/frister[ \u00a0]+(?=\S)")
_SLASH_ALONE = re.compile(r"/frister\b(?!-)")


def as_typed(text: str) -> str:
    """Commands as a person types them in Teams, which has no slash commands: `/frister ärende
    KOD` is `ärende KOD` in the 1:1 chat (`@Frister ärende KOD` in a channel), `/frister` alone
    is `mina`."""
    return _SLASH_ALONE.sub("mina", _SLASH_WITH_WORDS.sub("", text))


def neutral(text: str) -> str:
    """Free text with nothing Teams' Markdown would act on."""
    return text.translate(_LOOK_ALIKES)


def _bold(text: str) -> str:
    text = text.strip()
    return f"**{text}**" if text else ""


def inline(text: str, names: Mapping[str, str] | None = None) -> str:
    """One piece of message text as TextBlock Markdown: markup rendered, the rest neutral,
    line breaks kept (Markdown needs a blank line for one)."""
    names = names or {}

    def person(user_id: str) -> str:
        name = names.get(user_id.translate(_ORIGINAL))
        return _bold(neutral(name) if name else _("a colleague"))

    def room(channel_id: str) -> str:
        name = names.get(channel_id.translate(_ORIGINAL))
        return _bold(neutral(name) if name else _("the channel"))

    rendered = markup.render(
        neutral(as_typed(text.replace("\r", ""))),
        person=person,
        room=room,
        strong=_bold,
    )
    return re.sub(r"\n+", "\n\n", rendered.strip())


def plain_text(message: Message, names: Mapping[str, str] | None = None) -> str:
    """The fallback without Markdown: names for mentions, bold as plain text."""
    names = names or {}
    text = as_typed(message.text.strip() or message.title.strip())
    return markup.render(
        text,
        person=lambda u: names.get(u) or _("a colleague"),
        room=lambda c: names.get(c) or _("the channel"),
        strong=lambda t: t,
    )


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _text_block(text: str, **style: Any) -> JsonDict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def size(activity: JsonDict) -> int:
    return len(json.dumps(activity, ensure_ascii=False).encode())


# --- messages ----------------------------------------------------------------------------------


def _content(message: Message, names: Mapping[str, str] | None) -> list[JsonDict]:
    blocks: list[JsonDict] = []
    facts = [
        {"title": inline(label, names), "value": inline(value, names)}
        for label, value in message.fields
        if value.strip()
    ]
    if facts:
        blocks.append({"type": "FactSet", "facts": facts})
    for paragraph in message.body:
        text = inline(paragraph, names)
        if text:
            blocks.append(_text_block(text))
    return blocks


def _actions(message: Message) -> list[JsonDict]:
    actions = []
    for action in message.actions:
        element: JsonDict = {
            "type": "Action.Execute",
            "title": truncate(action.label.strip() or action.id, 80),
            "verb": action.id,
            "data": {"value": action.value},
        }
        if action.style in STYLES:
            element["style"] = STYLES[action.style]
        actions.append(element)
    return actions


def _card(
    head: list[JsonDict],
    content: list[JsonDict],
    tail: list[JsonDict],
    actions: list[JsonDict],
    summary: str,
) -> JsonDict:
    card: JsonDict = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": head + content + tail,
        "fallbackText": summary,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def _activity(card: JsonDict, summary: str) -> JsonDict:
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
    }


def _shrink(content: list[JsonDict]) -> bool:
    """Make the content smaller by one step (cut the last text, drop the last block); False
    when nothing is left to cut."""
    while content and content[-1].get("text") == ELLIPSIS:
        content.pop()
    if not content:
        return False
    last = content[-1]
    if last["type"] == "TextBlock" and len(last["text"]) > 200:
        last["text"] = truncate(last["text"], len(last["text"]) // 2)
    elif last["type"] == "FactSet" and len(last["facts"]) > 1:
        last["facts"].pop()
    else:
        content.pop()
    content.append(_text_block(ELLIPSIS))
    return True


def message_activity(message: Message, names: Mapping[str, str] | None = None) -> JsonDict:
    """A message activity: the card as its attachment, the plain text as `summary` (what
    notifications and previews show) and as the card's `fallbackText`. Teams shows an
    activity's `text` above the card, so the fallback does not go there."""
    summary = truncate(" ".join(plain_text(message, names).split()), MAX_SUMMARY)
    head: list[JsonDict] = []
    title = " ".join(message.title.split())
    if title:
        head.append(
            _text_block(truncate(inline(title, names), MAX_TITLE), size="Medium", weight="Bolder")
        )
    content = _content(message, names)
    if not head and not content and message.text.strip():
        content = [_text_block(inline(message.text, names))]
    tail: list[JsonDict] = []
    if message.context and message.context.strip():
        tail.append(
            _text_block(
                truncate(inline(message.context, names), 500),
                isSubtle=True,
                size="Small",
                spacing="Medium",
            )
        )
    if message.image is not None:  # a picture (the egenkontroll chart) as a data URI
        image = message.image
        picture = {
            "type": "Image",
            "url": f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}",
            "altText": truncate(image.alt, 500),
            "size": "Stretch",
        }
        content.append(picture)
    actions = _actions(message)
    activity = _activity(_card(head, content, tail, actions, summary), summary)
    if message.image is not None and size(activity) > MAX_ACTIVITY_BYTES:
        content.remove(picture)  # too large for Teams: the text goes alone
        activity = _activity(_card(head, content, tail, actions, summary), summary)
    while size(activity) > MAX_ACTIVITY_BYTES and _shrink(content):
        activity = _activity(_card(head, content, tail, actions, summary), summary)
    while size(activity) > MAX_ACTIVITY_BYTES and actions:  # hundreds of buttons
        actions.pop(0)
        activity = _activity(_card(head, content, tail, actions, summary), summary)
    return activity


def render_message(message: Message, names: Mapping[str, str] | None = None) -> JsonDict:
    """The Adaptive Card of a message (as it travels in `message_activity`)."""
    return message_activity(message, names)["attachments"][0]["content"]


# --- forms -------------------------------------------------------------------------------------

PEOPLE = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}


def _input(field: FormField) -> JsonDict:
    element: JsonDict = {"id": field.id, "label": neutral(field.label)}
    if not field.optional:
        element |= {"isRequired": True, "errorMessage": _("Fill in this field.")}
    if field.kind == "select" or field.kind == "user":
        element |= {
            "type": "Input.ChoiceSet",
            "style": "compact",
            "choices": [{"title": c.label, "value": c.value} for c in field.choices],
        }
        if field.kind == "user":
            element |= {"style": "filtered", "choices.data": PEOPLE}
    elif field.kind == "date":
        element["type"] = "Input.Date"
    elif field.kind == "checkbox":
        element |= {
            "type": "Input.Toggle",
            "title": neutral(field.hint or field.label),
            "valueOn": "true",
            "valueOff": "false",
        }
        element.pop("isRequired", None)
        element.pop("errorMessage", None)
    else:
        element["type"] = "Input.Text"
        if field.kind == "long_text":
            element["isMultiline"] = True
        if field.max_length:
            element["maxLength"] = field.max_length
        if field.hint:
            element["placeholder"] = field.hint
    if field.initial is not None:
        element["value"] = field.initial
    return element


def render_form(form: Form) -> JsonDict:
    """The dialog card of a form: the intro on top, one input a field, a submit button whose
    data names the form (`form`) and carries its `state`; Teams adds the inputs' values. The
    dialog's title (`form.title`) belongs in the task/fetch answer, not in the card."""
    body: list[JsonDict] = []
    if form.intro is not None:
        intro = form.intro
        if intro.title.strip():
            body.append(_text_block(inline(intro.title), weight="Bolder"))
        body += _content(intro, None)
        if not intro.title.strip() and not intro.body and not intro.fields and intro.text:
            body.append(_text_block(inline(intro.text)))
    for field in form.fields:
        body.append(_input(field))
        if field.hint and field.kind not in ("text", "long_text", "checkbox"):
            body.append(_text_block(neutral(field.hint), isSubtle=True, size="Small"))
    card: JsonDict = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if form.fields:
        card["actions"] = [
            {
                "type": "Action.Submit",
                "title": form.submit or _("Save"),
                "style": "positive",
                "data": {"form": form.kind, "state": dict(form.state)},
            }
        ]
    return card


# --- the home card -----------------------------------------------------------------------------


def home_activity(
    title: str, sections: tuple[Message, ...], names: Mapping[str, str] | None = None
) -> JsonDict:
    """Teams has no App Home: the home sections (bot.chat.home) as one card in the 1:1 chat,
    each section a container with its own buttons. Sections that do not fit in Teams' size
    limit are left out, the last shown ending with "…"."""
    summary = truncate(title, MAX_SUMMARY)
    head = [_text_block(truncate(neutral(title), MAX_TITLE), size="Large", weight="Bolder")]

    def container(section: Message, first: bool) -> JsonDict:
        items: list[JsonDict] = []
        if section.title.strip():
            items.append(
                _text_block(truncate(inline(section.title, names), MAX_TITLE), weight="Bolder")
            )
        content = _content(section, names)
        if not section.title.strip() and not content and section.text.strip():
            content = [_text_block(inline(section.text, names))]
        items += content
        actions = _actions(section)
        if actions:
            items.append({"type": "ActionSet", "actions": actions})
        return {"type": "Container", "items": items, "separator": not first, "spacing": "Medium"}

    body = [container(section, index == 0) for index, section in enumerate(sections)]
    activity = _activity(_card(head, body, [], [], summary), summary)
    while size(activity) > MAX_ACTIVITY_BYTES and len(body) > 1:
        body.pop()
        body[-1]["items"].append(_text_block(ELLIPSIS))
        activity = _activity(_card(head, body, [], [], summary), summary)
    return activity
