"""Cells that a spreadsheet cannot run as formulas (CSV injection, OWASP).

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-`, `@`, a tab or
a carriage return as a formula. Frister refuses such names where they come in (the imports)
and neutralises every text cell it writes to a CSV file, by prefixing a `'`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from bot.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula (plain numbers like -3 do not count)."""
    return text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text)


def formula_refusal(column: str) -> str:
    """The row error for an imported cell that `starts_like_formula`."""
    return _(
        "{column} must not begin with =, +, -, @ or a tab: a spreadsheet would run it as a formula"
    ).format(column=column)


def neutral(cell: object) -> object:
    """`cell` as it may go into a CSV file: formula-like text gets a leading `'`."""
    if isinstance(cell, str) and starts_like_formula(cell):
        return "'" + cell
    return cell


def csv_text(rows: Iterable[Sequence[object]], delimiter: str = ";") -> str:
    """`rows` as CSV text, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return out.getvalue()
