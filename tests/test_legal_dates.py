"""Legal last days: the calendar end of a period (`Period.add_to`) and, under lag (1930:173)
om beräkning av lagstadgad tid, the move of a period counted in days, weeks, months or years
that ends on a Saturday, a Sunday, a public holiday, midsommarafton, julafton or nyårsafton to
the next working day. Expected dates are worked out by hand (or, in the properties, by an
independent reference), never by calling the code under test."""

import calendar as pycal
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import MAX_YEAR, MIN_YEAR, swedish_calendar
from bot.domain.legal_dates import DayCount, LastDay, explain_last_day, legal_last_day
from bot.domain.periods import GENAST, Offset, Period, Unit, parse_length

CAL = swedish_calendar()
LAG = DayCount.LAG_1930_173
FAST = settings(max_examples=200, deadline=None)
# Triggers far enough from the range ends that a period plus a shift stays supported.
triggers = st.dates(min_value=date(MIN_YEAR + 1, 1, 1), max_value=date(MAX_YEAR - 6, 12, 31))
periods = st.one_of(
    st.builds(Period, st.integers(0, 400), st.just(Unit.DAYS)),
    st.builds(Period, st.integers(0, 200), st.just(Unit.WEEKS)),
    st.builds(Period, st.integers(0, 60), st.just(Unit.MONTHS)),
    st.builds(Period, st.integers(0, 5), st.just(Unit.YEARS)),
)


def last(trigger, text, day_count=LAG):
    return legal_last_day(trigger, parse_length(text), day_count, CAL)


def end_of(trigger: date, period: Period) -> date:
    """The calendar end of a period, computed here independently of `Period.add_to`: days
    and weeks by day numbers; months and years by a month index, the day number kept and
    clamped to the month's last day (31 Jan + 1m = 28/29 Feb)."""
    if period.unit in (Unit.DAYS, Unit.WEEKS):
        days = period.amount * (7 if period.unit is Unit.WEEKS else 1)
        return date.fromordinal(trigger.toordinal() + days)
    months = period.amount * (12 if period.unit is Unit.YEARS else 1)
    year, month = divmod(trigger.year * 12 + trigger.month - 1 + months, 12)
    return date(year, month + 1, min(trigger.day, pycal.monthrange(year, month + 1)[1]))


# --- public examples --------------------------------------------------------------------


def test_forhandsbedomning():
    # 12 Jun 2026 + 14d = Fri 26 Jun, a working day.
    assert last(date(2026, 6, 12), "14d") == date(2026, 6, 26)


def test_utredning_4m():
    # 31 Oct + 4m clamps to 28 Feb 2026, a Saturday -> Monday 2 Mar.
    got = explain_last_day(date(2025, 10, 31), Period.parse("4m"), LAG, CAL)
    assert got == LastDay(date(2026, 2, 28), date(2026, 3, 2), "lördag")


def test_nyarsafton():
    # 31 Dec nyårsafton, 1 Jan nyårsdagen, 2-3 Jan weekend -> Mon 4 Jan.
    got = explain_last_day(date(2026, 12, 17), Period.parse("14d"), LAG, CAL)
    assert got == LastDay(date(2026, 12, 31), date(2027, 1, 4), "nyårsafton")


# --- hand-checked cases -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "length", "calendar_day", "legal_day", "reason"),
    [
        # Midsommarafton Fri 19 Jun, midsommardagen Sat 20, Sun 21 -> Mon 22.
        (date(2026, 6, 5), "14d", date(2026, 6, 19), date(2026, 6, 22), "midsommarafton"),
        # Julafton Wed 24, juldagen, annandag jul, weekend 27-28 -> Mon 29 (5-day shift).
        (date(2025, 12, 10), "14d", date(2025, 12, 24), date(2025, 12, 29), "julafton"),
        # Julafton Fri 24 Dec 2027, 25-26 weekend -> Mon 27.
        (date(2027, 12, 10), "2w", date(2027, 12, 24), date(2027, 12, 27), "julafton"),
        # Långfredagen Fri 3 Apr, Sat, påskdagen, annandag påsk Mon 6 -> Tue 7.
        (date(2026, 3, 20), "14d", date(2026, 4, 3), date(2026, 4, 7), "långfredagen"),
        # Annandag påsk Mon 21 Apr 2025 -> Tue 22.
        (date(2025, 4, 7), "2w", date(2025, 4, 21), date(2025, 4, 22), "annandag påsk"),
        # Kristi himmelsfärdsdag Thu 14 May 2026 -> Fri 15 (klämdag is a working day).
        (
            date(2026, 4, 30),
            "14d",
            date(2026, 5, 14),
            date(2026, 5, 15),
            "Kristi himmelsfärdsdag",
        ),
        # Nationaldagen Fri 6 Jun 2025, weekend, annandag pingst no longer a holiday -> Mon 9.
        (date(2025, 5, 23), "14d", date(2025, 6, 6), date(2025, 6, 9), "nationaldagen"),
        # Första maj Fri 1 May 2026 -> Mon 4.
        (date(2026, 4, 17), "14d", date(2026, 5, 1), date(2026, 5, 4), "första maj"),
        # Trettondedag jul Tue 6 Jan 2026 -> Wed 7.
        (date(2025, 12, 23), "14d", date(2026, 1, 6), date(2026, 1, 7), "trettondedag jul"),
        # Alla helgons dag is a Saturday; its name wins over "lördag" -> Mon 2 Nov.
        (date(2026, 10, 17), "14d", date(2026, 10, 31), date(2026, 11, 2), "alla helgons dag"),
        # 1 week from a Friday is the next Friday, a working day.
        (date(2026, 1, 9), "1w", date(2026, 1, 16), date(2026, 1, 16), None),
        # 4 weeks from a Friday.
        (date(2026, 1, 2), "4w", date(2026, 1, 30), date(2026, 1, 30), None),
        # 4 weeks landing on nyårsafton Thu 31 Dec 2026 -> Mon 4 Jan.
        (date(2026, 12, 3), "4w", date(2026, 12, 31), date(2027, 1, 4), "nyårsafton"),
        # 1 week from a Saturday lands on a Saturday -> Monday.
        (date(2026, 1, 10), "1w", date(2026, 1, 17), date(2026, 1, 19), "lördag"),
        # Landing on a Sunday -> Monday.
        (date(2026, 1, 4), "14d", date(2026, 1, 18), date(2026, 1, 19), "söndag"),
        # Non-leap month-end clamp: 31 Jan + 1m = Sat 28 Feb 2026 -> Mon 2 Mar.
        (date(2026, 1, 31), "1m", date(2026, 2, 28), date(2026, 3, 2), "lördag"),
        # Leap month-end clamp: 31 Oct 2027 + 4m = Tue 29 Feb 2028, a working day.
        (date(2027, 10, 31), "4m", date(2028, 2, 29), date(2028, 2, 29), None),
        # 30 Nov + 3m = 28 Feb 2027 (non-leap), a Sunday -> Mon 1 Mar.
        (date(2026, 11, 30), "3m", date(2027, 2, 28), date(2027, 3, 1), "söndag"),
        # 31 Mar + 1m = 30 Apr (valborg, a working day).
        (date(2026, 3, 31), "1m", date(2026, 4, 30), date(2026, 4, 30), None),
        # 29 Feb 2028 + 1y = Wed 28 Feb 2029.
        (date(2028, 2, 29), "1y", date(2029, 2, 28), date(2029, 2, 28), None),
        # 29 Feb 2028 + 4y = 29 Feb 2032, a Sunday -> Mon 1 Mar.
        (date(2028, 2, 29), "4y", date(2032, 2, 29), date(2032, 3, 1), "söndag"),
        # 2 years to nyårsafton 2026 -> Mon 4 Jan 2027.
        (date(2024, 12, 31), "2y", date(2026, 12, 31), date(2027, 1, 4), "nyårsafton"),
        # 0d is a real period: a Sunday trigger is shifted (unlike genast).
        (date(2026, 6, 7), "0d", date(2026, 6, 7), date(2026, 6, 8), "söndag"),
    ],
)
def test_cases(trigger, length, calendar_day, legal_day, reason):
    got = explain_last_day(trigger, parse_length(length), LAG, CAL)
    assert got == LastDay(calendar_day, legal_day, reason)
    assert last(trigger, length) == legal_day


def test_genast_sunday():
    # "Genast" is the trigger day itself, never shifted, whatever the day count.
    sunday = date(2026, 6, 7)
    for day_count in DayCount:
        assert explain_last_day(sunday, None, day_count, CAL) == LastDay(sunday, sunday, None)
        assert last(sunday, GENAST, day_count) == sunday


def test_none_no_shift():
    got = explain_last_day(date(2025, 10, 31), Period.parse("4m"), DayCount.NONE, CAL)
    assert got == LastDay(date(2026, 2, 28), date(2026, 2, 28), None)
    assert last(date(2026, 12, 17), "14d", DayCount.NONE) == date(2026, 12, 31)


def test_day_count_str():
    assert DayCount("1930:173") is LAG
    assert last(date(2026, 12, 17), "14d", "none") == date(2026, 12, 31)


# --- the calendar end of a period (Period.add_to) -----------------------------------------


@pytest.mark.parametrize(
    ("trigger", "length", "end"),
    [
        # Days count on from the trigger day: 12 Jun + 14 = 26 Jun.
        (date(2026, 6, 12), "14d", date(2026, 6, 26)),
        # Across months: 1 Jan + 100 d = 11 Apr (30 days left in Jan, 28 in Feb, 31 in Mar).
        (date(2026, 1, 1), "100d", date(2026, 4, 11)),
        # Across a leap day: 20 Feb 2028 + 14 d = 5 Mar (29 Feb counts).
        (date(2028, 2, 20), "14d", date(2028, 3, 5)),
        # Weeks are 7 days each: 3 Dec + 4 w = 31 Dec, the same weekday (Thursday).
        (date(2026, 12, 3), "4w", date(2026, 12, 31)),
        # 52 weeks = 364 days, one short of a year: 1 Jan 2026 -> 31 Dec 2026.
        (date(2026, 1, 1), "52w", date(2026, 12, 31)),
        # Months keep the day number: 15 Mar + 4 m = 15 Jul.
        (date(2026, 3, 15), "4m", date(2026, 7, 15)),
        # ...clamped to the month's last day: 31 Oct 2025 + 4 m = 28 Feb 2026 (not a leap year).
        (date(2025, 10, 31), "4m", date(2026, 2, 28)),
        # ...29 Feb in a leap year: 31 Oct 2027 + 4 m = 29 Feb 2028.
        (date(2027, 10, 31), "4m", date(2028, 2, 29)),
        # 31 Mar + 1 m = 30 Apr (April has 30 days).
        (date(2026, 3, 31), "1m", date(2026, 4, 30)),
        # Over the year end: 30 Nov 2026 + 3 m = 28 Feb 2027.
        (date(2026, 11, 30), "3m", date(2027, 2, 28)),
        # Years: 29 Feb 2028 + 1 y = 28 Feb 2029; + 4 y = 29 Feb 2032 (a leap year again).
        (date(2028, 2, 29), "1y", date(2029, 2, 28)),
        (date(2028, 2, 29), "4y", date(2032, 2, 29)),
        # A zero period ends on the trigger day.
        (date(2026, 6, 7), "0d", date(2026, 6, 7)),
        (date(2026, 6, 7), "0m", date(2026, 6, 7)),
    ],
)
def test_add_to(trigger, length, end):
    assert Period.parse(length).add_to(trigger) == end
    assert end_of(trigger, Period.parse(length)) == end  # the reference agrees by hand too


# --- periods and offsets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("14d", Period(14, Unit.DAYS)),
        (" 1w ", Period(1, Unit.WEEKS)),
        ("4 m", Period(4, Unit.MONTHS)),
        ("2Y", Period(2, Unit.YEARS)),
        ("0d", Period(0, Unit.DAYS)),
        ("1200m", Period(1200, Unit.MONTHS)),
        ("007d", Period(7, Unit.DAYS)),
    ],
)
def test_period_parse(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize(
    "text",
    ["", "14", "d", "-1d", "+1d", "1201d", "14x", "1.5m", "14 days", "d14", "١٤d", "genast", None],
)
def test_period_parse_bad(text):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_period_validation():
    assert Period(3, "m").unit is Unit.MONTHS
    for bad in (-1, 1201, True, 1.0):
        with pytest.raises(ValueError):
            Period(bad, Unit.DAYS)
    with pytest.raises(ValueError):
        Period(1, "x")


def test_period_str():
    assert str(Period.parse(" 14 D ")) == "14d"
    assert str(Unit.MONTHS) == "m"


def test_parse_length():
    assert parse_length("genast") is None
    assert parse_length(" Genast ") is None
    assert parse_length("4m") == Period(4, Unit.MONTHS)


@pytest.mark.parametrize(
    ("text", "days", "canonical"),
    [("-7d", -7, "-7d"), ("0d", 0, "0d"), ("+1d", 1, "+1d"), ("-2w", -14, "-2w"),
     ("3d", 3, "+3d"), ("-0d", 0, "0d"), (" - 1 W ", -7, "-1w")],
)  # fmt: skip
def test_offset_parse(text, days, canonical):
    offset = Offset.parse(text)
    assert offset.days == days
    assert str(offset) == canonical
    assert offset.apply(date(2026, 6, 12)) == date(2026, 6, 12) + timedelta(days=days)


@pytest.mark.parametrize("text", ["", "-7", "7m", "-1y", "--1d", "+-1d", "1.5d", "-1201d", None])
def test_offset_parse_bad(text):
    with pytest.raises(ValueError):
        Offset.parse(text)


def test_offset_validation():
    with pytest.raises(ValueError):
        Offset(1, Unit.MONTHS)
    assert Offset(-3) == Offset.parse("-3d")


# --- properties -------------------------------------------------------------------------


@FAST
@given(triggers, periods)
def test_prop_shift(trigger, period):
    got = explain_last_day(trigger, period, LAG, CAL)
    assert got.calendar_day == end_of(trigger, period)
    assert got.legal_day >= got.calendar_day
    assert CAL.is_working_day(got.legal_day)
    assert (got.legal_day - got.calendar_day).days <= 5
    d = got.calendar_day
    while d < got.legal_day:  # no working day is skipped
        assert CAL.is_non_working_day(d)
        d += timedelta(days=1)
    assert got.shifted_because == CAL.non_working_reason(got.calendar_day)
    assert (got.shifted_because is None) == (got.legal_day == got.calendar_day)
    assert legal_last_day(trigger, period, LAG, CAL) == got.legal_day


@FAST
@given(triggers, periods)
def test_prop_none(trigger, period):
    got = explain_last_day(trigger, period, DayCount.NONE, CAL)
    end = end_of(trigger, period)
    assert got == LastDay(end, end, None)  # no day count: never moved


@FAST
@given(triggers, st.sampled_from(list(DayCount)))
def test_prop_genast(trigger, day_count):
    assert legal_last_day(trigger, None, day_count, CAL) == trigger


@FAST
@given(triggers, st.integers(0, 1200), st.sampled_from([Unit.MONTHS, Unit.YEARS]))
def test_prop_months_clamp(trigger, amount, unit):
    months = amount if unit is Unit.MONTHS else 12 * amount
    got = Period(amount, unit).add_to(trigger)
    index = trigger.year * 12 + trigger.month - 1 + months
    assert (got.year, got.month) == (index // 12, index % 12 + 1)
    month_end = pycal.monthrange(got.year, got.month)[1]
    assert got.day == min(trigger.day, month_end)


@FAST
@given(triggers, st.integers(0, 1200))
def test_prop_weeks(trigger, amount):
    got = Period(amount, Unit.WEEKS).add_to(trigger)
    assert got.weekday() == trigger.weekday()
    assert (got - trigger).days == 7 * amount
    assert Period(amount, Unit.DAYS).add_to(trigger) == trigger + timedelta(days=amount)


@FAST
@given(st.integers(0, 1200), st.sampled_from(list(Unit)))
def test_prop_period_roundtrip(amount, unit):
    period = Period(amount, unit)
    assert Period.parse(str(period)) == period


@FAST
@given(st.integers(-1200, 1200), st.sampled_from([Unit.DAYS, Unit.WEEKS]))
def test_prop_offset_roundtrip(amount, unit):
    offset = Offset(amount, unit)
    assert Offset.parse(str(offset)) == offset
