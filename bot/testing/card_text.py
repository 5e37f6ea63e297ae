"""Adaptive Cards as a person reads them in Teams, in plain text (for the demo and tests).

The title and text blocks become lines, a FactSet `Titel: värde · …`, inputs `▸ label`, and the
buttons `[Klar] [Påminn i morgon] …` (numbered `[1: Klar]` when the caller collects them, to
press by number). Teams' Markdown bold is shown without its asterisks, and the look-alike
characters Frister puts in place of Markdown markers read as the originals again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
INDENT = "   "
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ORIGINAL = str.maketrans({"\u2217": "*", "\uff3f": "_", "\uff3b": "[", "\uff3d": "]"})

Json = dict[str, Any]


@dataclass(frozen=True)
class Button:
    """A card button: its label and the action as the card carries it."""

    label: str
    action: Json


@dataclass
class Buttons:
    """Buttons collected while rendering, numbered from 1 in the order shown."""

    found: list[Button] = field(default_factory=list)

    def add(self, action: Json) -> str:
        label = shown(str(action.get("title") or ""))
        self.found.append(Button(label, action))
        return f"[{len(self.found)}: {label}]"


def shown(text: str) -> str:
    """TextBlock Markdown as it reads: bold without asterisks, look-alikes as the originals."""
    return _BOLD.sub(r"\1", text).translate(_ORIGINAL)


def _labels(actions: list[Json], buttons: Buttons | None) -> str:
    if buttons is not None:
        return " ".join(buttons.add(action) for action in actions)
    return " ".join(f"[{shown(str(action.get('title') or ''))}]" for action in actions)


def _input(element: Json, choices: bool) -> list[str]:
    label = shown(str(element.get("label") or element.get("title") or element.get("id") or ""))
    value = element.get("value")
    line = f"▸ {label}" + (f" [{value}]" if value not in (None, "") else "")
    lines = [line]
    if choices and element.get("type") == "Input.ChoiceSet":
        for number, choice in enumerate(element.get("choices") or [], start=1):
            lines.append(f"   {number}. {shown(str(choice.get('title') or ''))}")
    return lines


def element_lines(
    elements: list[Json], buttons: Buttons | None = None, choices: bool = True
) -> list[str]:
    """Card body elements as lines (without indentation); `choices` lists a choice input's
    choices under it."""
    lines: list[str] = []
    for element in elements:
        kind = str(element.get("type") or "")
        if kind == "TextBlock":
            text = shown(str(element.get("text") or ""))
            lines += [line for line in text.split("\n") if line.strip()]
        elif kind == "FactSet":
            facts = element.get("facts") or []
            lines.append(
                " · ".join(
                    f"{shown(f.get('title', ''))}: {shown(f.get('value', ''))}" for f in facts
                )
            )
        elif kind == "Container":
            lines += element_lines(element.get("items") or [], buttons, choices)
        elif kind == "ColumnSet":
            for column in element.get("columns") or []:
                lines += element_lines(column.get("items") or [], buttons, choices)
        elif kind == "ActionSet":
            lines.append(_labels(element.get("actions") or [], buttons))
        elif kind.startswith("Input."):
            lines += _input(element, choices)
    return lines


def card_lines(card: Json, buttons: Buttons | None = None, choices: bool = True) -> list[str]:
    """An Adaptive Card as indented lines: its body, then its buttons on one line."""
    lines = element_lines(card.get("body") or [], buttons, choices)
    if card.get("actions"):
        lines.append(_labels(card["actions"], buttons))
    return [INDENT + line for line in lines]


def activity_lines(activity: Json, buttons: Buttons | None = None) -> list[str]:
    """A message activity as indented lines: its text, then each Adaptive Card attached."""
    lines: list[str] = []
    text = str(activity.get("text") or "").strip()
    if text:
        lines += [INDENT + shown(line) for line in text.splitlines() if line.strip()]
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE_CARD:
            lines += card_lines(attachment.get("content") or {}, buttons)
    return lines
