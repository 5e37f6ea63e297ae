"""Neutral markup inside message text: a mention, a channel, bold. Each adapter renders it.

The core writes `mention("U123")`; Slack renders `<@U123>`, Teams an @-mention of the name.
Markers are Unicode private-use characters, which people do not type; `strip()` removes any
from free text before it is stored, so nobody can forge a mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_OPEN, _CLOSE = "\ue000", "\ue001"  # around "@id" (a person) or "#id" (a channel)
_BOLD_OPEN, _BOLD_CLOSE = "\ue002", "\ue003"
_TOKEN = re.compile(
    f"{_OPEN}([@#])([^{_CLOSE}]*){_CLOSE}|{_BOLD_OPEN}([^{_BOLD_CLOSE}]*){_BOLD_CLOSE}"
)
_MARKERS = re.compile("[\ue000-\ue003]")
_MENTION = re.compile(f"^{_OPEN}@([^{_CLOSE}]+){_CLOSE}$")


def mention(user_id: str) -> str:
    """A person, by their chat user id."""
    return f"{_OPEN}@{user_id}{_CLOSE}"


def channel(channel_id: str) -> str:
    return f"{_OPEN}#{channel_id}{_CLOSE}"


def bold(text: str) -> str:
    return f"{_BOLD_OPEN}{text}{_BOLD_CLOSE}"


def mentioned(text: str) -> str | None:
    """The user id when `text` is exactly one mention, else None."""
    match = _MENTION.match(text.strip())
    return match[1] if match else None


def render(
    text: str,
    *,
    person: Callable[[str], str],
    room: Callable[[str], str],
    strong: Callable[[str], str],
) -> str:
    """`text` with each marker replaced by what the platform shows."""

    def replace(match: re.Match[str]) -> str:
        if match[1] == "@":
            return person(match[2])
        if match[1] == "#":
            return room(match[2])
        return strong(match[3])

    return _TOKEN.sub(replace, text)


def plain(text: str) -> str:
    """Without markup: ids as they are, bold as plain text (logs, CSV, the CLI)."""
    return render(text, person=lambda u: f"@{u}", room=lambda c: f"#{c}", strong=lambda t: t)


def strip(text: str) -> str:
    """Free text without any marker characters."""
    return _MARKERS.sub("", text)
