"""The nämnd's meeting dates (sammanträden): parsed from text, never read from a file here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.i18n import _

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class MeetingLineError:
    line: int
    message: str


def parse_meetings(text: str) -> tuple[tuple[date, ...], list[MeetingLineError]]:
    """One date YYYY-MM-DD per line; blank lines and `#` comments are ignored.

    Returns the dates sorted without duplicates, and every bad line with its number."""
    found: set[date] = set()
    errors: list[MeetingLineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if not ISO_DAY.fullmatch(line):
                raise ValueError(line)
            found.add(date.fromisoformat(line))
        except ValueError:
            errors.append(
                MeetingLineError(number, _("not a date YYYY-MM-DD: {text}").format(text=line[:40]))
            )
    return tuple(sorted(found)), errors


def next_meeting(meetings: Iterable[date], after: date) -> date | None:
    """The first meeting on a later day than `after` (a decision made on a meeting day is
    reported at the next one: it may have been made after the meeting)."""
    return min((day for day in meetings if day > after), default=None)
