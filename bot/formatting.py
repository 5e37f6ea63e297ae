"""Dates and counts as a Swedish reader expects them (Babel, CLDR).

A formatted day depends only on the day, the pattern and the language, so each is formatted
once (a small bounded memo: a list repeats the same few days on every line and every answer),
with the Babel locale parsed once per language.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date, format_timedelta

from bot import i18n

MEMO_SIZE = 4096  # formatted days and distances kept per process (a few hundred KiB at most)


@cache
def _babel_locale(language: str) -> Locale:
    return Locale.parse("sv_SE" if language == "sv" else "en_GB")


@lru_cache(maxsize=MEMO_SIZE)
def _formatted(day: date, pattern: str, language: str) -> str:
    return format_date(day, pattern, locale=_babel_locale(language))


def _date(day: date, pattern: str) -> str:
    return _formatted(day, pattern, i18n.current_language())


def long_date(day: date) -> str:
    """`fredag 26 juni 2026`."""
    return _date(day, "EEEE d MMMM y")


def short_date(day: date) -> str:
    """`fre 26 juni`, `lör 30 jan` (no abbreviation point: the date often ends a sentence)."""
    return _date(day, "EEE d MMM").rstrip(".")


def medium_date(day: date) -> str:
    """`2 dec. 2026`: one format for a view that spans years (the case view)."""
    return _date(day, "d MMM y")


def in_sentence(name: str) -> str:
    """A rule or event name inside a sentence: `Barnavårdsutredning` -> `barnavårdsutredning`,
    while an abbreviation stays (`LVU-vård`)."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return name
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=MEMO_SIZE)
def _in_days(days: int, language: str) -> str:
    return format_timedelta(
        timedelta(days=days),
        granularity="day",
        threshold=100000,
        add_direction=True,
        locale=_babel_locale(language),
    )


def relative_day(day: date, today: date) -> str:
    """`i dag`, `i morgon`, `i går`, `om 3 dagar`, `för 2 dagar sedan` (CLDR words via Babel)."""
    days = (day - today).days
    if days == 0:
        return i18n._("today")
    if days == 1:
        return i18n._("tomorrow")
    if days == -1:
        return i18n._("yesterday")
    return _in_days(days, i18n.current_language())


def month_label(day: date) -> str:
    """`dec 2026`: a month on a chart's axis."""
    return _date(day, "LLL y").replace(".", "")


def month_name(day: date) -> str:
    """`december 2026`."""
    return _date(day, "LLLL y")


def day_month_year(day: date) -> str:
    """`31 december 2026`."""
    return _date(day, "d MMMM y")
