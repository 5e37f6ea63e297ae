"""What Teams checks in an outgoing activity with an Adaptive Card, as far as Frister uses cards.

`activity_errors(activity)` lists the problems (empty: Teams would take it); the Teams stand-in
answers 400 for any, and the card tests use the same checks. A subset of the Adaptive Card 1.5
schema: the elements and actions Frister renders, their required properties, and Teams' limit of
about 28 KB for a whole message activity.
"""

from __future__ import annotations

import json
from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
MAX_ACTIVITY_BYTES = 28_000  # Teams: "about 28 KB", the activity JSON including the card

ELEMENTS = frozenset(
    {
        "TextBlock",
        "FactSet",
        "Container",
        "ColumnSet",
        "ActionSet",
        "Input.Text",
        "Input.Date",
        "Input.ChoiceSet",
        "Input.Toggle",
    }
)
ACTIONS = frozenset({"Action.Execute", "Action.Submit", "Action.OpenUrl"})


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def action_errors(action: Any, at: str) -> list[str]:
    if not isinstance(action, dict) or action.get("type") not in ACTIONS:
        return [f"{at}: unknown action type"]
    errors: list[str] = []
    if not _text(action.get("title")):
        errors.append(f"{at}/title: required")
    kind = action["type"]
    if kind == "Action.Execute":
        if not _text(action.get("verb")):
            errors.append(f"{at}/verb: required for Action.Execute")
        if not isinstance(action.get("data"), dict):
            errors.append(f"{at}/data: must be an object")
    elif kind == "Action.Submit":
        if "data" in action and not isinstance(action["data"], dict | str):
            errors.append(f"{at}/data: must be an object or a string")
    elif not _text(action.get("url")):
        errors.append(f"{at}/url: required for Action.OpenUrl")
    return errors


def _actions_errors(actions: Any, at: str) -> list[str]:
    if not isinstance(actions, list):
        return [f"{at}: must be an array"]
    errors: list[str] = []
    for i, action in enumerate(actions):
        errors += action_errors(action, f"{at}/{i}")
    return errors


def element_errors(element: Any, at: str, ids: set[str]) -> list[str]:
    """Problems of one card element (recursing into containers); collects input ids."""
    if not isinstance(element, dict) or element.get("type") not in ELEMENTS:
        return [f"{at}: unknown element type"]
    kind = element["type"]
    errors: list[str] = []
    if kind == "TextBlock" and not isinstance(element.get("text"), str):
        errors.append(f"{at}/text: required")
    elif kind == "FactSet":
        facts = element.get("facts")
        if not isinstance(facts, list) or not facts:
            errors.append(f"{at}/facts: must be a non-empty array")
        else:
            for j, fact in enumerate(facts):
                if not (
                    isinstance(fact, dict)
                    and isinstance(fact.get("title"), str)
                    and isinstance(fact.get("value"), str)
                ):
                    errors.append(f"{at}/facts/{j}: needs title and value")
    elif kind == "Container":
        errors += _body_errors(element.get("items"), f"{at}/items", ids)
    elif kind == "ColumnSet":
        for j, column in enumerate(element.get("columns") or []):
            errors += _body_errors(column.get("items"), f"{at}/columns/{j}/items", ids)
    elif kind == "ActionSet":
        errors += _actions_errors(element.get("actions"), f"{at}/actions")
    elif kind.startswith("Input."):
        input_id = element.get("id")
        if not _text(input_id):
            errors.append(f"{at}/id: required for inputs")
        elif input_id in ids:
            errors.append(f"{at}/id: {input_id!r} used twice")
        else:
            ids.add(input_id)
        if element.get("isRequired") and not _text(element.get("errorMessage")):
            errors.append(f"{at}/errorMessage: required with isRequired")
        if kind == "Input.ChoiceSet":
            choices = element.get("choices")
            if not isinstance(choices, list) or not all(
                isinstance(c, dict) and _text(c.get("title")) and isinstance(c.get("value"), str)
                for c in choices
            ):
                errors.append(f"{at}/choices: each needs title and value")
        if kind == "Input.Toggle" and not _text(element.get("title")):
            errors.append(f"{at}/title: required for Input.Toggle")
    return errors


def _body_errors(body: Any, at: str, ids: set[str]) -> list[str]:
    if not isinstance(body, list):
        return [f"{at}: must be an array"]
    errors: list[str] = []
    for i, element in enumerate(body):
        errors += element_errors(element, f"{at}/{i}", ids)
    return errors


def card_errors(card: Any, at: str = "") -> list[str]:
    """Problems of an Adaptive Card (the attachment's `content`)."""
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [f"{at}/type: must be AdaptiveCard"]
    errors: list[str] = []
    if card.get("version") != CARD_VERSION:
        errors.append(f"{at}/version: must be {CARD_VERSION!r}")
    if "body" not in card:
        errors.append(f"{at}/body: required")
    else:
        errors += _body_errors(card["body"], f"{at}/body", set())
    if "actions" in card:
        errors += _actions_errors(card["actions"], f"{at}/actions")
    return errors


def activity_size(activity: Any) -> int:
    """Bytes of the activity as JSON (UTF-8), as sent over the wire."""
    return len(json.dumps(activity, ensure_ascii=False).encode())


def activity_errors(activity: Any) -> list[str]:
    """Problems of a message activity sent to the Bot Connector."""
    if not isinstance(activity, dict):
        return ["activity: must be an object"]
    errors: list[str] = []
    if activity.get("type") != "message":
        errors.append("/type: must be 'message'")
    attachments = activity.get("attachments") or []
    if not isinstance(attachments, list):
        return [*errors, "/attachments: must be an array"]
    if not _text(activity.get("text")) and not attachments:
        errors.append("/text: a message needs text or an attachment")
    for i, attachment in enumerate(attachments):
        at = f"/attachments/{i}"
        if not isinstance(attachment, dict):
            errors.append(f"{at}: must be an object")
        elif attachment.get("contentType") != ADAPTIVE_CARD:
            errors.append(f"{at}/contentType: Frister sends only {ADAPTIVE_CARD}")
        else:
            errors += card_errors(attachment.get("content"), f"{at}/content")
    size = activity_size(activity)
    if size > MAX_ACTIVITY_BYTES:
        errors.append(f"activity: {size} bytes, more than {MAX_ACTIVITY_BYTES}")
    return errors
