"""Block Kit for the chat interface: answers, modals (bot.domain.forms) and the home tab.

Messages go through handlers.messenger.render_blocks (Slack's limits, escaping, and the neutral
markup of bot.domain.markup rendered as Slack mentions, channels and bold).
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.forms import Form, FormField, Values
from bot.domain.messages import Message
from handlers.messenger import render_blocks, render_text, truncate

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


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text.strip() or "–", limit, escaped=False)}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label, MAX_OPTION), "value": value[:150]}


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
        "label": _plain(field.label, MAX_LABEL),
        "optional": field.optional,
        "element": _element(field),
    }
    if field.hint:
        block["hint"] = _plain(field.hint, MAX_HINT)
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
        "title": _plain(form.title, MAX_TITLE),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
        "private_metadata": json.dumps(form.state, ensure_ascii=False)[:MAX_METADATA],
    }
    if form.fields and form.submit:
        view["submit"] = _plain(form.submit, MAX_TITLE)
    if form.close:
        view["close"] = _plain(form.close, MAX_TITLE)
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
