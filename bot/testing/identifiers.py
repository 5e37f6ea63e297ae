"""Made-up Swedish personal identity numbers for tests and benchmarks of the screen.

The check digit is computed here, independently of bot/domain/screening.py (Luhn over the
nine digits YYMMDDNNN, right to left, doubling every other digit starting with the last).
"""

from __future__ import annotations


def check_digit(payload: str) -> str:
    """The Luhn check digit of a 9-digit payload."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value = sum(divmod(value * 2, 10))
        total += value
    return str(-total % 10)


def personnummer(date6: str, serial: str = "121", sep: str = "-", century: str = "") -> str:
    """A number `[CC]YYMMDD<sep>NNNC` with a valid check digit."""
    return f"{century}{date6}{sep}{serial}{check_digit(date6 + serial)}"


def with_wrong_check_digit(number: str) -> str:
    """The same number with its check digit off by one."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def grouped(number: str, date_sep: str = " ", sep: str = " - ", tail_sep: str = "") -> str:
    """The digits of `number` regrouped: `[CC]YY<date_sep>MM<date_sep>DD<sep>NN<tail_sep>NN`."""
    digits = "".join(char for char in number if char.isdigit())
    year, month, day, tail = digits[:-8], digits[-8:-6], digits[-6:-4], digits[-4:]
    date = date_sep.join((year, month, day))
    return f"{date}{sep}{tail[:2]}{tail_sep}{tail[2:]}"
