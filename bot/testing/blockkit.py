"""Block Kit as Slack validates it (the parts Frister uses): the stand-in refuses what Slack
would refuse, so a test cannot pass on a message that Slack would reject."""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_TEXT = 40_000
BLOCK_TYPES = frozenset(
    {"header", "section", "actions", "context", "divider", "image", "input", "rich_text"}
)


def _text_errors(obj: Any, pointer: str, limit: int, types: tuple[str, ...]) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in types:
        return [f"must be a text object of type {'/'.join(types)} [json-pointer:{pointer}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _button_errors(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict) or element.get("type") != "button":
        return []  # other elements are not checked
    errors = _text_errors(element.get("text"), f"{pointer}/text", 75, ("plain_text",))
    if len(str(element.get("action_id", ""))) > 255:
        errors.append(f"must be less than 256 characters [json-pointer:{pointer}/action_id]")
    if len(str(element.get("value", ""))) > 2000:
        errors.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
    if element.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")
    return errors


def block_errors(blocks: Any) -> list[str]:
    """The `invalid_blocks` messages Slack would give for `blocks` (a subset of its checks)."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            errors.append(f"unknown block type [json-pointer:{at}/type]")
            continue
        if kind == "header":
            errors += _text_errors(block.get("text"), f"{at}/text", 150, ("plain_text",))
        elif kind == "section":
            fields = block.get("fields")
            if "text" not in block and not fields:
                errors.append(f"must provide text or fields [json-pointer:{at}]")
            if "text" in block:
                errors += _text_errors(block["text"], f"{at}/text", 3000, ("plain_text", "mrkdwn"))
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > 10:
                    errors.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
                else:
                    for j, item in enumerate(fields):
                        errors += _text_errors(
                            item, f"{at}/fields/{j}", 2000, ("plain_text", "mrkdwn")
                        )
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                errors.append(f"must have 1 to 25 items [json-pointer:{at}/elements]")
                continue
            ids = [e.get("action_id") for e in elements if isinstance(e, dict)]
            if len([i for i in ids if i]) != len({i for i in ids if i}):
                errors.append(f"action_id must be unique in a block [json-pointer:{at}]")
            for j, element in enumerate(elements):
                errors += _button_errors(element, f"{at}/elements/{j}")
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                errors.append(f"must have 1 to 10 items [json-pointer:{at}/elements]")
                continue
            for j, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") != "image":
                    errors += _text_errors(
                        element, f"{at}/elements/{j}", 3000, ("plain_text", "mrkdwn")
                    )
    return errors
