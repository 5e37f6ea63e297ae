"""Dates and counts as a Swedish reader expects them (Babel, CLDR)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot import i18n


def _locale() -> str:
    return "sv_SE" if i18n.current_language() == "sv" else "en_GB"


def long_date(day: date) -> str:
    """`fredag 26 juni 2026`."""
    return format_date(day, "EEEE d MMMM y", locale=_locale())


def short_date(day: date) -> str:
    """`fre 26 juni`."""
    return format_date(day, "EEE d MMM", locale=_locale())
