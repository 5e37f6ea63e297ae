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
    """`fre 26 juni`."""
    return format_date(day, "EEE d MMM", locale=_locale())


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
