"""Swedish working-day calendar per lag (1930:173) om beräkning av lagstadgad tid.

Non-working days are Saturdays, Sundays, allmänna helgdagar and midsommarafton,
julafton and nyårsafton. Holiday data comes from the ``holidays`` package
(Sweden, categories PUBLIC + DE_FACTO); in holidays 0.108 DE_FACTO for Sweden is
exactly midsommarafton, julafton and nyårsafton in every supported year.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from holidays.constants import DE_FACTO, PUBLIC
from holidays.countries.sweden import Sweden

# holidays.Sweden returns an empty set, silently, outside these years; we refuse instead.
MIN_YEAR: int = Sweden.start_year
MAX_YEAR: int = Sweden.end_year

_WEEKDAY_NAMES = {5: "lördag", 6: "söndag"}
# First words of holiday names that are proper nouns and keep their capital letter.
_PROPER_NOUNS = ("Kristi ", "Marie ")
_ONE_DAY = timedelta(days=1)


def _running_text_name(name: str) -> str:
    """'Nyårsafton' -> 'nyårsafton'; 'Kristi himmelsfärdsdag' is kept; '; ' -> ' och '."""
    parts = []
    for part in name.split("; "):
        if not part.startswith(_PROPER_NOUNS):
            part = part[:1].lower() + part[1:]
        parts.append(part)
    return " och ".join(parts)


def _weekdays_through(ordinal: int) -> int:
    """Number of Monday-Friday days among ordinals 1..ordinal (ordinal 1 is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


class SwedishCalendar:
    """Non-working days per lag (1930:173) om beräkning av lagstadgad tid.

    Holidays are loaded per year on first use and cached, so construction is cheap
    and lookups are a weekday check plus a dict lookup. Years outside
    ``MIN_YEAR..MAX_YEAR`` (1953-2100) raise ``ValueError`` rather than silently
    treating every weekday as a working day.
    """

    def __init__(self) -> None:
        self._holidays = Sweden(categories=(PUBLIC, DE_FACTO), language="sv")
        # year -> {date: reason} for holidays of that year (weekends not included).
        self._by_year: dict[int, dict[date, str]] = {}

    def _year(self, year: int) -> dict[date, str]:
        days = self._by_year.get(year)
        if days is None:
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise ValueError(
                    f"year {year} outside supported range {MIN_YEAR}-{MAX_YEAR} "
                    "of the Swedish holiday calendar"
                )
            self._holidays.get(date(year, 1, 1))  # any lookup populates the year (expand=True)
            days = {
                d: _running_text_name(name) for d, name in self._holidays.items() if d.year == year
            }
            self._by_year[year] = days
        return days

    def is_non_working_day(self, d: date) -> bool:
        """True for Saturday, Sunday, allmän helgdag, midsommarafton, julafton, nyårsafton."""
        if d.weekday() > 4:
            return True
        days = self._by_year.get(d.year)
        if days is None:
            days = self._year(d.year)
        return d in days

    def is_working_day(self, d: date) -> bool:
        return not self.is_non_working_day(d)

    def non_working_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day, in Swedish running text, or None if it is one.

        A holiday name wins over the weekday ("midsommardagen", not "lördag").
        Coinciding holidays are joined: "nationaldagen och pingstdagen".
        """
        name = self._year(d.year).get(d)
        if name is not None:
            return name
        return _WEEKDAY_NAMES.get(d.weekday())

    def next_working_day(self, d: date) -> date:
        """First working day strictly after ``d``."""
        d += _ONE_DAY
        while self.is_non_working_day(d):
            d += _ONE_DAY
        return d

    def on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, else the next working day."""
        while self.is_non_working_day(d):
            d += _ONE_DAY
        return d

    def previous_working_day(self, d: date) -> date:
        """Last working day strictly before ``d``."""
        d -= _ONE_DAY
        while self.is_non_working_day(d):
            d -= _ONE_DAY
        return d

    def on_or_before(self, d: date) -> date:
        """``d`` if it is a working day, else the previous working day."""
        while self.is_non_working_day(d):
            d -= _ONE_DAY
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in the half-open interval (start, end].

        ``start`` itself is not counted, ``end`` is. If ``end < start`` the result is
        the mirror: ``-working_days_between(end, start)``. Runs in O(years), not O(days).
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = _weekdays_through(end.toordinal()) - _weekdays_through(start.toordinal())
        for year in range(start.year, end.year + 1):
            for d in self._year(year):
                if start < d <= end and d.weekday() < 5:
                    count -= 1
        return count


@functools.cache
def swedish_calendar() -> SwedishCalendar:
    """Shared process-wide calendar instance."""
    return SwedishCalendar()
