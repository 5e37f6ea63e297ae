"""Dates and counts as a Swedish reader expects them (Babel, CLDR)."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date, format_timedelta

from bot import i18n


def _locale() -> str:
    return "sv_SE" if i18n.current_language() == "sv" else "en_GB"


def long_date(day: date) -> str:
    """`fredag 26 juni 2026`."""
    return format_date(day, "EEEE d MMMM y", locale=_locale())


def short_date(day: date) -> str:
    """`fre 26 juni`, `lör 30 jan` (no abbreviation point: the date often ends a sentence)."""
    return format_date(day, "EEE d MMM", locale=_locale()).rstrip(".")


def medium_date(day: date) -> str:
    """`2 dec. 2026`: one format for a view that spans years (the case view)."""
    return format_date(day, "d MMM y", locale=_locale())


def in_sentence(name: str) -> str:
    """A rule or event name inside a sentence: `Barnavårdsutredning` -> `barnavårdsutredning`,
    while an abbreviation stays (`LVU-vård`)."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def relative_day(day: date, today: date) -> str:
    """`i dag`, `i morgon`, `i går`, `om 3 dagar`, `för 2 dagar sedan` (CLDR words via Babel)."""
    days = (day - today).days
    if days == 0:
        return i18n._("today")
    if days == 1:
        return i18n._("tomorrow")
    if days == -1:
        return i18n._("yesterday")
    return format_timedelta(
        timedelta(days=days),
        granularity="day",
        threshold=100000,
        add_direction=True,
        locale=_locale(),
    )


def month_label(day: date) -> str:
    """`dec 2026`: a month on a chart's axis."""
    return format_date(day, "LLL y", locale=_locale()).replace(".", "")


def month_name(day: date) -> str:
    """`december 2026`."""
    return format_date(day, "LLLL y", locale=_locale())


def day_month_year(day: date) -> str:
    """`31 december 2026`."""
    return format_date(day, "d MMMM y", locale=_locale())
