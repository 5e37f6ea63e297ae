"""Lengths of legal periods ("14d", "4m") and signed reminder offsets ("-7d", "+1d")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

GENAST = "genast"
"""A length meaning "the trigger day itself" (no period); represented as ``None``."""

MAX_AMOUNT = 1200

_PERIOD_RE = re.compile(r"\s*([0-9]+)\s*([dwmy])\s*", re.IGNORECASE)
_OFFSET_RE = re.compile(r"\s*([+-]?)\s*([0-9]+)\s*([dw])\s*", re.IGNORECASE)


class Unit(StrEnum):
    DAYS = "d"
    WEEKS = "w"
    MONTHS = "m"
    YEARS = "y"


def _check_amount(amount: object, *, signed: bool) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"amount must be an int, got {amount!r}")
    low = -MAX_AMOUNT if signed else 0
    if not low <= amount <= MAX_AMOUNT:
        raise ValueError(f"amount {amount} outside {low}..{MAX_AMOUNT}")


@dataclass(frozen=True)
class Period:
    """A non-negative length such as 14 days or 4 months."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        _check_amount(self.amount, signed=False)
        object.__setattr__(self, "unit", Unit(self.unit))

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "14d", "1w", "4m", "2y" (whitespace and case tolerant, amount 0..1200)."""
        match = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"invalid period {text!r}: expected e.g. '14d', '1w', '4m', '2y'")
        return cls(int(match[1]), Unit(match[2].lower()))

    def add_to(self, d: date) -> date:
        """``d`` plus this period.

        Months and years keep the day number, clamped to the last day of the month:
        31 Oct + 4m = 28/29 Feb, 29 Feb + 1y = 28 Feb.
        """
        if self.unit is Unit.DAYS:
            return d + timedelta(days=self.amount)
        if self.unit is Unit.WEEKS:
            return d + timedelta(weeks=self.amount)
        if self.unit is Unit.MONTHS:
            return d + relativedelta(months=self.amount)
        return d + relativedelta(years=self.amount)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


def parse_length(text: str) -> Period | None:
    """Parse a period or ``GENAST`` ("genast" -> None)."""
    if isinstance(text, str) and text.strip().lower() == GENAST:
        return None
    return Period.parse(text)


@dataclass(frozen=True)
class Offset:
    """A signed offset in days or weeks for reminder ladders: "-7d", "0d", "+1d", "-2w".

    A missing sign means positive ("3d" == "+3d"). ``str`` is canonical: non-zero
    offsets always carry a sign, zero has none ("0d").
    """

    amount: int
    unit: Unit = Unit.DAYS

    def __post_init__(self) -> None:
        _check_amount(self.amount, signed=True)
        unit = Unit(self.unit)
        if unit not in (Unit.DAYS, Unit.WEEKS):
            raise ValueError(f"offset unit must be 'd' or 'w', got {unit.value!r}")
        object.__setattr__(self, "unit", unit)

    @classmethod
    def parse(cls, text: str) -> Offset:
        """Parse "-7d", "0d", "+1d", "-2w" (whitespace and case tolerant)."""
        match = _OFFSET_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"invalid offset {text!r}: expected e.g. '-7d', '0d', '+1d', '-2w'")
        amount = int(match[2])
        return cls(-amount if match[1] == "-" else amount, Unit(match[3].lower()))

    @property
    def days(self) -> int:
        """The offset in days (weeks * 7); use it to sort a ladder."""
        return self.amount * 7 if self.unit is Unit.WEEKS else self.amount

    def apply(self, d: date) -> date:
        return d + timedelta(days=self.days)

    def __str__(self) -> str:
        sign = "+" if self.amount > 0 else ""
        return f"{sign}{self.amount}{self.unit.value}"
