"""Screen free text for Swedish personal identity numbers so the bot can refuse it.

Recognised shapes: a date part `YYMMDD` / `YYYYMMDD` (century 18, 19 or 20), then the last
four digits. The date part may be written `YY MM DD` / `YYYY-MM-DD` (one space or one `-`,
the same at both places); the separator before the last four digits is `-` or `+` (with
an optional space on either side), one or two spaces, or nothing; the last four may be
split `NN NN` or `NN-NN`. So `1912 12 12 - 1212`, `121212 - 1212` and `121212-12 12` are
all caught. Unicode dashes count as `-`; full-width and other decimal digits count as
digits. Offsets always refer to the original text: normalisation maps one character to one.

Kinds of finding:

* personnummer: valid date and valid Luhn check digit;
* samordningsnummer: day + 60 (61-91), valid date after subtracting 60, valid Luhn;
* possible: valid date part (incl. +60) but failing Luhn, with a cue word such as
  `pnr` or `född` at most ~30 characters before it (a mistyped number is still personal);
  a 12-digit number (century 18/19/20 and a valid date) needs no cue, unless only spaces
  separate the date from the last four (`2026-06-12 1400` may be a date and a time).

Trade-offs (privacy wins over convenience):

* An unseparated 10-digit number with a valid date and Luhn is reported even though it
  may be a phone number (`0701234567`) - unless it starts with `0` and a phone cue
  (`tel`, `mobil`, `ring`, `sms`, ...) stands within ~25 characters before it and is
  closer than any personnummer cue.
* A number glued to a longer digit run (`9121212-1212`, `121212-12120`,
  `5-121212-1212`, `121212-1212.3`) is treated as some other code and ignored.
* A number grouped with inner spaces (`12 12 12-1212`, `121212-12 12`) that continues a
  longer spaced digit run (`+46 70 11 22 33 44`) is taken for a phone number and ignored.
* A date and a time stay harmless when the time has a colon or dot (`2026-11-23 12:00`);
  `2026-11-23 1200` is reported only if its digits happen to pass the Luhn check.
* A phone number grouped other than the date (`070-123 45 67`) does not fit the shapes.
* Future birth dates are not rejected (the screen is deterministic, no clock).

Nothing here stores or logs the matched digits; a `Finding` only carries offsets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    """What kind of identity number a finding looks like."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    POSSIBLE = "mojligt_personnummer"


@dataclass(frozen=True)
class Finding:
    """Location of an identity number in the screened text (never the digits themselves)."""

    start: int
    end: int
    kind: FindingKind

    @property
    def column(self) -> int:
        """1-based position of the first character, for user-facing messages."""
        return self.start + 1


# Characters mapped one-to-one before matching (after per-character NFKC).
_CHAR_MAP = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
}

_NUMBER = re.compile(
    r"(?<![0-9])(?<![0-9][-.])"
    r"(?P<century>18|19|20)?"
    r"(?:(?P<date>[0-9]{6})|(?P<yy>[0-9]{2})(?P<ds>[- ])(?P<mm>[0-9]{2})(?P=ds)(?P<dd>[0-9]{2}))"
    r"(?P<sep> ?[-+] ?| {1,2}|)"
    r"(?:(?P<tail>[0-9]{4})|(?P<t1>[0-9]{2})(?P<ts>[- ])(?P<t2>[0-9]{2}))"
    r"(?![0-9])(?![-.:][0-9])"
)
_SPACED_RUN_BEFORE = re.compile(r"[0-9] ")
_SPACED_RUN_AFTER = re.compile(r" [0-9]")

_OE = "(?:ö|o\u0308)"  # also match a decomposed ö
_ID_CUE = re.compile(
    r"(?<!\w)(?:"
    r"p[-.]?nr|persnr|personnr|person\s?num\w*|"
    r"samordningsn\w*|samnr|"
    rf"f{_OE}delsenum\w*|f{_OE}delsedat\w*|f{_OE}dd|ssn"
    r")(?!\w)"
    r"|(?<!\w)f\.",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    rf"(?<!\w)(?:tel\w*|tfn|mob(?:il\w*|nr)?|ring\w*|sms\w*|nr\s+f{_OE}r\s+kontakt)(?!\w)",
    re.IGNORECASE,
)
_ID_CUE_WINDOW = 30
_PHONE_CUE_WINDOW = 25

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _normalise(text: str) -> str:
    """Return `text` with digits, dashes and spaces unified; same length as `text`."""
    if text.isascii():
        return text
    table: dict[int, str] = {}
    for char in set(text):
        if char.isascii():
            continue
        mapped = char
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            mapped = str(digit)
        else:
            nfkc = unicodedata.normalize("NFKC", char)
            if len(nfkc) == 1 and not nfkc.isdigit():
                mapped = nfkc
            mapped = _CHAR_MAP.get(mapped, mapped)
        if mapped != char:
            table[ord(char)] = mapped
    return text.translate(table) if table else text


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _date_kind(century: str | None, date: str) -> FindingKind | None:
    """Personnummer / samordningsnummer kind if `date` (YYMMDD) is a valid date, else None."""
    yy, month, day = int(date[:2]), int(date[2:4]), int(date[4:6])
    kind = FindingKind.PERSONNUMMER
    if day > 60:
        day -= 60
        kind = FindingKind.SAMORDNINGSNUMMER
    if not 1 <= month <= 12 or day < 1:
        return None
    if month == 2 and day == 29:
        if century is not None:
            leap = _is_leap(int(century) * 100 + yy)
        else:
            leap = _is_leap(1900 + yy) or _is_leap(2000 + yy)
        return kind if leap else None
    return kind if day <= _DAYS_IN_MONTH[month - 1] else None


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 - index % 2)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _last_cue_end(pattern: re.Pattern[str], text: str, end: int, window: int) -> int | None:
    """End offset of the last `pattern` match that starts within `window` chars before `end`."""
    last = None
    for match in pattern.finditer(text, max(0, end - window), end):
        last = match.end()
    return last


def _part_of_spaced_run(norm: str, match: re.Match[str]) -> bool:
    """True if a number grouped with inner spaces continues a longer spaced digit run."""
    if match["ds"] != " " and match["ts"] != " ":
        return False
    start, end = match.start(), match.end()
    return bool(
        _SPACED_RUN_BEFORE.fullmatch(norm, max(0, start - 2), start)
        or _SPACED_RUN_AFTER.match(norm, end)
    )


def _finding(norm: str, match: re.Match[str]) -> Finding | None:
    """The finding for one candidate match, or None if it is not reported."""
    date = match["date"] or match["yy"] + match["mm"] + match["dd"]
    tail = match["tail"] or match["t1"] + match["t2"]
    kind = _date_kind(match["century"], date)
    if kind is None or _part_of_spaced_run(norm, match):
        return None
    start = match.start()
    luhn_ok = _luhn_ok(date + tail)
    id_cue = None
    if not luhn_ok or date[0] == "0":
        id_cue = _last_cue_end(_ID_CUE, norm, start, _ID_CUE_WINDOW)
    if not luhn_ok:
        # A 12-digit number with a birth date is personal even when mistyped; but a date
        # followed by a space and four digits may be a date and a time, so it needs a cue.
        twelve_digit = match["century"] is not None and (
            match["sep"] == "" or match["sep"].strip() != ""
        )
        if id_cue is None and not twelve_digit:
            return None
        kind = FindingKind.POSSIBLE
    elif date[0] == "0" and match["century"] is None and "+" not in match["sep"]:
        phone_cue = _last_cue_end(_PHONE_CUE, norm, start, _PHONE_CUE_WINDOW)
        if phone_cue is not None and (id_cue is None or phone_cue > id_cue):
            return None
    return Finding(start, match.end(), kind)


def find_identifiers(text: str) -> list[Finding]:
    """All identity numbers in `text`, ordered by start and non-overlapping."""
    norm = _normalise(text)
    findings: list[Finding] = []
    position = 0
    while match := _NUMBER.search(norm, position):
        finding = _finding(norm, match)
        if finding is None:
            position = match.start() + 1  # a shorter grouping may start inside it
            continue
        findings.append(finding)
        position = finding.end
    return findings


# Between cells in `first_with_identifier`: no part of `_NUMBER`, so no match spans two cells,
# and not a digit, `-`, `.` or `:`, so every lookaround sees a cell's edge as a text's edge.
_CELL_BREAK = "\x1f"


def first_with_identifier(texts: list[str]) -> int | None:
    """The index of the first text `find_identifiers` reports anything in, else None.

    One search over all the texts at once finds out whether any could hold a number (most
    rows of an import hold none); only then is each text checked in detail."""
    if not _NUMBER.search(_normalise(_CELL_BREAK.join(texts))):
        return None
    return next((index for index, text in enumerate(texts) if find_identifiers(text)), None)


def contains_identifier(text: str) -> bool:
    """True if `text` contains anything `find_identifiers` would report."""
    return bool(find_identifiers(text))
