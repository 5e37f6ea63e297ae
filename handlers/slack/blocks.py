"""Block Kit for Slack, the one renderer: messages (bot.domain.messages), modals
(bot.domain.forms) and the home tab, within Slack's limits.

Text is escaped (&, < and >) and the core's neutral markup is then rendered (handlers.slack
.mentions), so mentions and bold survive the escaping. Answers (`message_*`) also turn the
Slack mentions the core still writes itself (`<@U…>`, `<#C…>`) back from their escaped form.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.forms import Form, FormField, Values
from bot.domain.messages import Message
from handlers.slack.mentions import to_plain, to_slack

MAX_BLOCKS = 50
MAX_TEXT = 40_000
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_SECTION = 3000
MAX_CONTEXT = 3000
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Slack's escaping for mrkdwn: only &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _entity_safe(text: str, cut: int) -> int:
    """Move `cut` back so that it does not fall inside an entity such as &amp;."""
    amp = text.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        return amp
    return cut


def truncate(text: str, limit: int, *, escaped: bool = True) -> str:
    """`text` cut to at most `limit` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    if escaped:
        cut = _entity_safe(text, cut)
    return text[:cut].rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """Escaped `text` in pieces of at most `limit` characters, cut at a line break or space when
    there is one in the second half of a piece, never inside an entity; no empty pieces."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut >= limit // 2 else _entity_safe(text, limit)
        piece = text[:cut].strip()
        if piece:
            pieces.append(piece)
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def _mrkdwn_text(text: str) -> str:
    """Escaped, then the core's markup rendered."""
    return to_slack(escape(text))


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _field(label: str, value: str) -> dict[str, str] | None:
    label, value = _mrkdwn_text(label.strip()), _mrkdwn_text(value.strip())
    text = f"*{label}*\n{value}" if label else value
    return _mrkdwn(truncate(text, MAX_FIELD)) if text.strip() else None


def _action_blocks(message: Message) -> list[dict[str, Any]]:
    """Buttons, 25 to an actions block; a repeated action_id starts a new block (Slack wants
    them unique within a block)."""
    blocks: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for action in message.actions:
        if len(current) == MAX_BUTTONS or any(b["action_id"] == action.id for b in current):
            blocks.append({"type": "actions", "elements": current})
            current = []
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action.id,
            "text": _plain_text(
                truncate(
                    to_plain(action.label.strip()) or action.id, MAX_BUTTON_TEXT, escaped=False
                )
            ),
            "value": action.value[:MAX_BUTTON_VALUE],
        }
        if action.style in ("primary", "danger"):
            button["style"] = action.style
        current.append(button)
    if current:
        blocks.append({"type": "actions", "elements": current})
    return blocks


def render_blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit for a message within Slack's limits: header, fields, body, buttons, context.

    Content that does not fit in 50 blocks is cut, ending with a "…" section; the buttons and
    the context line are kept.
    """
    head: list[dict[str, Any]] = []
    title = " ".join(to_plain(message.title).split())
    if title:
        header = _plain_text(truncate(title, MAX_HEADER, escaped=False))
        head.append({"type": "header", "text": header})

    content: list[dict[str, Any]] = []
    fields = [f for f in (_field(label, value) for label, value in message.fields) if f]
    for start in range(0, len(fields), MAX_FIELDS):
        content.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    for paragraph in message.body:
        for piece in split(_mrkdwn_text(paragraph), MAX_SECTION):
            content.append({"type": "section", "text": _mrkdwn(piece)})

    tail = _action_blocks(message)
    if message.context and message.context.strip():
        context = truncate(_mrkdwn_text(message.context.strip()), MAX_CONTEXT)
        tail.append({"type": "context", "elements": [_mrkdwn(context)]})
    if len(head) + len(tail) > MAX_BLOCKS:  # hundreds of buttons: keep the last ones
        tail = tail[len(head) + len(tail) - MAX_BLOCKS :]

    room = MAX_BLOCKS - len(head) - len(tail)
    if len(content) > room:
        cut = [{"type": "section", "text": _mrkdwn(ELLIPSIS)}] if room else []
        content = content[: max(0, room - 1)] + cut
    return head + content + tail


def render_text(message: Message) -> str:
    """The plain-text fallback (notifications, screen readers), escaped, ≤ 40 000 characters."""
    text = message.text.strip() or message.title.strip()
    return truncate(_mrkdwn_text(text), MAX_TEXT)


# --- answers, modals, the home tab ------------------------------------------------------------

MAX_VIEW_BLOCKS = 100
MAX_TITLE = 24
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_OPTION = 75
MAX_OPTIONS = 100
MAX_METADATA = 3000


def message_blocks(message: Message) -> list[dict[str, Any]]:
    return render_blocks(message)


def message_text(message: Message) -> str:
    return render_text(message)


def message_payload(message: Message) -> dict[str, Any]:
    """Keyword arguments for respond()/chat.postMessage."""
    return {"text": message_text(message), "blocks": message_blocks(message)}


def _label(text: str, limit: int) -> dict[str, Any]:
    """A plain_text label of a modal (title, field, option, button), markup as plain text."""
    text = to_plain(text).strip() or "–"
    return {"type": "plain_text", "text": truncate(text, limit, escaped=False)}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _label(label, MAX_OPTION), "value": value[:150]}


def _element(field: FormField) -> dict[str, Any]:
    element: dict[str, Any] = {"action_id": field.id}
    if field.kind == "select" and field.choices:
        options = [_option(c.value, c.label) for c in field.choices[:MAX_OPTIONS]]
        element |= {"type": "static_select", "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
    elif field.kind == "date":
        element["type"] = "datepicker"
        if field.initial:
            element["initial_date"] = field.initial
    elif field.kind == "user":
        element["type"] = "users_select"
        if field.initial:
            element["initial_user"] = field.initial
    elif field.kind == "checkbox":
        options = [_option(c.value, c.label) for c in field.choices[:10]]
        element |= {"type": "checkboxes", "options": options}
        chosen = set((field.initial or "").split(","))
        initial = [o for o in options if o["value"] in chosen]
        if initial:
            element["initial_options"] = initial
    else:  # text, long_text (and a select without choices)
        element |= {"type": "plain_text_input", "multiline": field.kind == "long_text"}
        if field.max_length:
            element["max_length"] = field.max_length
        if field.initial:
            element["initial_value"] = field.initial[: field.max_length or 3000]
    return element


def _input(field: FormField) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.id,
        "label": _label(field.label, MAX_LABEL),
        "optional": field.optional,
        "element": _element(field),
    }
    if field.hint:
        block["hint"] = _label(field.hint, MAX_HINT)
    return block


def modal(form: Form) -> dict[str, Any]:
    """A Slack modal for a form (without fields: a result view with a close button)."""
    blocks: list[dict[str, Any]] = []
    if form.intro is not None:
        blocks += message_blocks(form.intro)
    blocks += [_input(field) for field in form.fields]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": form.kind,
        "title": _label(form.title, MAX_TITLE),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
        "private_metadata": json.dumps(form.state, ensure_ascii=False)[:MAX_METADATA],
    }
    if form.fields and form.submit:
        view["submit"] = _label(form.submit, MAX_TITLE)
    if form.close:
        view["close"] = _label(form.close, MAX_TITLE)
    return view


def form_values(view: dict[str, Any]) -> Values:
    """The submitted values of a modal: {block id: text or None}."""
    values: Values = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, elements in state.items():
        for element in (elements or {}).values():
            values[block_id] = _value(element or {})
    return values


def _value(element: dict[str, Any]) -> str | None:
    if "selected_option" in element:
        option = element.get("selected_option") or {}
        return option.get("value")
    if "selected_options" in element:
        chosen = [o.get("value", "") for o in element.get("selected_options") or []]
        return ",".join(chosen) or None
    for key in ("selected_date", "selected_user", "selected_conversation", "value"):
        if key in element:
            value = element.get(key)
            return str(value) if value not in (None, "") else None
    return None


def form_state(view: dict[str, Any]) -> dict[str, str]:
    try:
        state = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    return {str(k): str(v) for k, v in state.items()}


def home(sections: tuple[Message, ...]) -> dict[str, Any]:
    """The home tab: each section's blocks, with dividers, within 100 blocks."""
    blocks: list[dict[str, Any]] = []
    for index, section in enumerate(sections):
        rendered = message_blocks(section)
        if index:
            rendered = [{"type": "divider"}, *rendered]
        if len(blocks) + len(rendered) > MAX_VIEW_BLOCKS:
            break
        blocks += rendered
    return {"type": "home", "blocks": blocks}
