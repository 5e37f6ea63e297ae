"""Last day of a legal period, shifted per lag (1930:173) om beräkning av lagstadgad tid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from bot.domain.calendar import SwedishCalendar
from bot.domain.periods import Period


class DayCount(StrEnum):
    LAG_1930_173 = "1930:173"  # a last day on a non-working day moves to the next working day
    NONE = "none"  # never shift (calendar last day)


@dataclass(frozen=True)
class LastDay:
    calendar_day: date  # trigger + length, before shifting
    legal_day: date  # after shifting
    shifted_because: str | None  # reason of calendar_day (e.g. "lördag", "nyårsafton")


def explain_last_day(
    trigger: date, length: Period | None, day_count: DayCount, calendar: SwedishCalendar
) -> LastDay:
    """Last day of a period of ``length`` from ``trigger``, with the reason for any shift.

    ``length`` None means "genast": the trigger day itself, never shifted regardless
    of ``day_count``. Memoised: an import derives the same few hundred last days for
    thousands of cases.
    """
    return _explain(trigger, length, DayCount(day_count), calendar)


@lru_cache(maxsize=65_536)
def _explain(
    trigger: date, length: Period | None, day_count: DayCount, calendar: SwedishCalendar
) -> LastDay:
    if length is None:
        return LastDay(trigger, trigger, None)
    calendar_day = length.add_to(trigger)
    if day_count is DayCount.NONE:
        return LastDay(calendar_day, calendar_day, None)
    reason = calendar.non_working_reason(calendar_day)
    if reason is None:
        return LastDay(calendar_day, calendar_day, None)
    return LastDay(calendar_day, calendar.next_working_day(calendar_day), reason)


def legal_last_day(
    trigger: date, length: Period | None, day_count: DayCount, calendar: SwedishCalendar
) -> date:
    """Legal last day; see ``explain_last_day``."""
    return explain_last_day(trigger, length, day_count, calendar).legal_day
