from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import MAX_YEAR, MIN_YEAR, SwedishCalendar, swedish_calendar

CAL = swedish_calendar()
# Keep a margin so shifting never walks out of the supported range.
dates = st.dates(min_value=date(MIN_YEAR + 1, 1, 1), max_value=date(MAX_YEAR - 1, 12, 31))
FAST = settings(max_examples=200, deadline=None)


def brute_between(start: date, end: date) -> int:
    if end < start:
        return -brute_between(end, start)
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += CAL.is_working_day(d)
    return n


def test_cached_instance():
    assert swedish_calendar() is CAL


@pytest.mark.parametrize(
    ("d", "reason"),
    [
        (date(2026, 6, 13), "lördag"),
        (date(2026, 6, 14), "söndag"),
        (date(2026, 1, 1), "nyårsdagen"),
        (date(2026, 1, 6), "trettondedag jul"),
        (date(2026, 4, 3), "långfredagen"),
        (date(2026, 4, 5), "påskdagen"),
        (date(2026, 4, 6), "annandag påsk"),
        (date(2026, 5, 1), "första maj"),
        (date(2026, 5, 14), "Kristi himmelsfärdsdag"),  # proper noun keeps its capital
        (date(2026, 5, 24), "pingstdagen"),
        (date(2025, 6, 6), "nationaldagen"),  # a Friday
        (date(2026, 6, 19), "midsommarafton"),
        (date(2026, 6, 20), "midsommardagen"),  # Saturday: holiday name wins
        (date(2026, 10, 31), "alla helgons dag"),
        (date(2026, 12, 24), "julafton"),
        (date(2026, 12, 25), "juldagen"),
        (date(2026, 12, 26), "annandag jul"),
        (date(2026, 12, 31), "nyårsafton"),
        (date(2008, 5, 1), "första maj och Kristi himmelsfärdsdag"),  # coincide in 2008
        (date(2049, 6, 6), "nationaldagen och pingstdagen"),  # Sunday 6 June is pentecost
        (date(2004, 5, 31), "annandag pingst"),  # a helgdag until 2004
    ],
)
def test_non_working(d, reason):
    assert CAL.is_non_working_day(d)
    assert not CAL.is_working_day(d)
    assert CAL.non_working_reason(d) == reason


@pytest.mark.parametrize(
    "d",
    [
        date(2026, 6, 12),  # ordinary Friday
        date(2025, 6, 9),  # annandag pingst is no longer a helgdag
        date(2026, 6, 26),  # day after midsommar week
        date(2026, 12, 23),  # dag före julafton
        date(2026, 4, 2),  # skärtorsdagen
        date(2026, 4, 30),  # valborgsmässoafton is a working day
        date(2026, 11, 2),  # Monday after alla helgons dag
    ],
)
def test_working(d):
    assert CAL.is_working_day(d)
    assert CAL.non_working_reason(d) is None


def test_de_facto_is_exactly_three_eves():
    # The law names midsommarafton, julafton, nyårsafton; holidays' DE_FACTO must match
    # in every supported year, or the calendar would need to filter it.
    years = range(MIN_YEAR, MAX_YEAR + 1)
    de_facto = holidays.Sweden(categories=(holidays.DE_FACTO,), language="sv", years=years)
    assert len(de_facto) == 3 * len(years)
    for d, name in de_facto.items():
        if name == "Midsommarafton":
            assert d.month == 6 and 19 <= d.day <= 25 and d.weekday() == 4
        else:
            assert (name, d.month, d.day) in {("Julafton", 12, 24), ("Nyårsafton", 12, 31)}


def test_next_working_day():
    # 24 julafton, 25 juldagen, 26 annandag (Sat), 27 Sun.
    assert CAL.next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)
    # Strictly after: a working Friday goes to Monday.
    assert CAL.next_working_day(date(2026, 6, 12)) == date(2026, 6, 15)


def test_previous_working_day():
    # 1 Jan, 2-3 weekend, 31 Dec nyårsafton.
    assert CAL.previous_working_day(date(2027, 1, 4)) == date(2026, 12, 30)
    # Easter: Mon annandag, Sun påsk, Sat, Fri långfredag -> skärtorsdag.
    assert CAL.previous_working_day(date(2026, 4, 7)) == date(2026, 4, 2)


def test_on_or_after_before():
    assert CAL.on_or_after(date(2026, 6, 12)) == date(2026, 6, 12)
    assert CAL.on_or_before(date(2026, 6, 12)) == date(2026, 6, 12)
    assert CAL.on_or_after(date(2026, 6, 19)) == date(2026, 6, 22)  # midsommar weekend
    assert CAL.on_or_before(date(2026, 4, 6)) == date(2026, 4, 2)  # Easter


def test_working_days_between():
    # (23 Dec, 4 Jan]: 28, 29, 30 Dec and 4 Jan.
    assert CAL.working_days_between(date(2026, 12, 23), date(2027, 1, 4)) == 4
    assert CAL.working_days_between(date(2027, 1, 4), date(2026, 12, 23)) == -4
    assert CAL.working_days_between(date(2026, 6, 12), date(2026, 6, 12)) == 0
    # Mon 8 Jun -> Mon 15 Jun 2026: Tue-Fri + Mon (6 Jun nationaldag is a Saturday).
    assert CAL.working_days_between(date(2026, 6, 8), date(2026, 6, 15)) == 5
    # A whole year: 2026 has 261 weekdays, 10 of its holidays fall on weekdays.
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 251


def test_out_of_range_years():
    with pytest.raises(ValueError, match="2101"):
        CAL.is_non_working_day(date(2101, 1, 3))  # a Monday
    with pytest.raises(ValueError, match="1952"):
        CAL.non_working_reason(date(1952, 6, 2))
    with pytest.raises(ValueError):
        CAL.next_working_day(date(2100, 12, 31))


def test_fresh_instance_agrees():
    other = SwedishCalendar()
    d = date(2030, 1, 1)
    for _ in range(400):
        assert other.is_non_working_day(d) == CAL.is_non_working_day(d)
        d += timedelta(days=1)


@FAST
@given(dates)
def test_prop_reason_iff_non_working(d):
    assert (CAL.non_working_reason(d) is None) == CAL.is_working_day(d)
    if d.weekday() > 4:
        assert CAL.is_non_working_day(d)


@FAST
@given(dates)
def test_prop_next_previous(d):
    nxt, prev = CAL.next_working_day(d), CAL.previous_working_day(d)
    assert prev < d < nxt
    assert CAL.is_working_day(nxt) and CAL.is_working_day(prev)
    assert CAL.previous_working_day(nxt) <= d <= CAL.next_working_day(prev)
    assert CAL.working_days_between(d, nxt) == 1
    assert CAL.working_days_between(prev, d) == int(CAL.is_working_day(d))
    assert CAL.working_days_between(prev, nxt) == 1 + int(CAL.is_working_day(d))


@FAST
@given(dates)
def test_prop_on_or(d):
    before, after = CAL.on_or_before(d), CAL.on_or_after(d)
    assert before <= d <= after
    assert CAL.is_working_day(before) and CAL.is_working_day(after)
    assert (before == d) == (after == d) == CAL.is_working_day(d)
    assert CAL.working_days_between(d, after) == int(not CAL.is_working_day(d))


@settings(max_examples=100, deadline=None)
@given(dates, st.integers(-500, 500))
def test_prop_between_brute(d, n):
    end = d + timedelta(days=n)
    assert CAL.working_days_between(d, end) == brute_between(d, end)


@FAST
@given(dates, dates, dates)
def test_prop_between_additive(a, b, c):
    ab, bc = CAL.working_days_between(a, b), CAL.working_days_between(b, c)
    assert ab + bc == CAL.working_days_between(a, c)
    assert ab == -CAL.working_days_between(b, a)
