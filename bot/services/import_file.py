"""Reading an import file (cases or staff): streaming, bounded, one encoding, valid CSV.

A file is read twice, line by line and never whole: the first pass refuses a binary file or a
line longer than `MAX_LINE_BYTES` as soon as it meets one and decides the encoding (every line
valid UTF-8: UTF-8; no non-ASCII line valid UTF-8: Windows-1252, as Excel writes it; both kinds:
refused, naming the lines). The second pass yields the decoded lines to `csv`. Whatever makes
the whole file unreadable raises `BadFile` with one Swedish line; nothing has been stored then.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.i18n import _

if TYPE_CHECKING:
    from _csv import Reader

MAX_LINE_BYTES = 64 * 1024
SHOWN_LINES = 3  # line numbers named in a message before "and N more"
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CONTROL = frozenset(range(32)) - {9, 10, 12, 13}  # bytes no CSV export contains (NUL, …)
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


class BadFile(Exception):
    """The file as a whole cannot be imported; the message is one Swedish line."""


@dataclass(frozen=True)
class ImportFile:
    """A checked file: its encoding and the number of non-blank lines after the header."""

    path: Path
    encoding: str
    data_lines: int

    def lines(self) -> Iterator[str]:
        """The decoded lines, each with its line end, read one at a time."""
        with self.path.open("rb") as stream:
            first = True
            while raw := stream.readline(MAX_LINE_BYTES + 1):
                if len(raw) > MAX_LINE_BYTES:  # the file changed since it was checked
                    raise BadFile(_("{file} changed while it was read.").format(file=self.path))
                if first and raw.startswith(BOM):
                    raw = raw[len(BOM) :]
                first = False
                yield raw.decode(self.encoding)


def line_list(numbers: list[int], total: int) -> str:
    """`3, 7, 9` or `3, 7, 9 and 4 more`."""
    shown = ", ".join(str(n) for n in numbers[:SHOWN_LINES])
    if total <= SHOWN_LINES:
        return shown
    return _("{lines} and {n} more").format(lines=shown, n=total - SHOWN_LINES)


class _Lines:
    """Line numbers of one kind: the first few, and how many in all."""

    def __init__(self) -> None:
        self.first: list[int] = []
        self.count = 0

    def add(self, number: int) -> None:
        self.count += 1
        if len(self.first) < SHOWN_LINES:
            self.first.append(number)

    def text(self) -> str:
        return line_list(self.first, self.count)


def open_import_file(path: Path) -> ImportFile:
    """Check `path` in one streaming pass; raise BadFile when it cannot be imported."""
    utf8, cp1252 = _Lines(), _Lines()
    data_lines = 0
    try:
        with path.open("rb") as stream:
            number = 0
            while raw := stream.readline(MAX_LINE_BYTES + 1):
                number += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise BadFile(
                        _(
                            "Line {line} of {file} is longer than {limit} KiB: this is not a CSV "
                            "export Frister can read. Nothing was imported."
                        ).format(line=number, file=path.name, limit=MAX_LINE_BYTES // 1024)
                    )
                if number == 1:
                    if raw.startswith(UTF16_BOMS):
                        raise BadFile(
                            _(
                                "{file} is saved as UTF-16: save it as CSV (UTF-8 or "
                                "semicolon-separated) and import again. Nothing was imported."
                            ).format(file=path.name)
                        )
                    if raw.startswith(BOM):
                        raw = raw[len(BOM) :]
                if not CONTROL.isdisjoint(raw):
                    raise _not_text(path)
                data_lines += number > 1 and bool(raw.strip())
                if raw.isascii():
                    continue
                try:
                    raw.decode("utf-8")
                    utf8.add(number)
                except UnicodeDecodeError:
                    if not CP1252_UNDEFINED.isdisjoint(raw):
                        raise _not_text(path) from None
                    cp1252.add(number)
    except OSError as error:
        raise BadFile(
            _("Cannot read {file}: {reason}.").format(
                file=path, reason=error.strerror or type(error).__name__
            )
        ) from None
    if number == 0:
        raise BadFile(_("{file} is empty. Nothing was imported.").format(file=path.name))
    if utf8.count and cp1252.count:
        raise BadFile(
            _(
                "{file} mixes two encodings: lines {utf8} are UTF-8 but lines {cp1252} are "
                "Windows-1252. "
                "Save the whole file as UTF-8 and import again. Nothing was imported."
            ).format(file=path.name, utf8=utf8.text(), cp1252=cp1252.text())
        )
    return ImportFile(path, "cp1252" if cp1252.count else "utf-8", data_lines)


def _not_text(path: Path) -> BadFile:
    return BadFile(
        _(
            "{file} is not a text file: export the list as CSV (UTF-8 or Windows-1252) and "
            "import again. Nothing was imported."
        ).format(file=path.name)
    )


def csv_rows(source: str | Iterable[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the data rows (with their line numbers) of CSV text, `;` or `,`.

    `source` is the whole text or its lines with their line ends. Raises BadFile for an empty
    file or text the csv module cannot read (reported with the line where it happened).
    """
    lines = iter(source.splitlines(keepends=True) if isinstance(source, str) else source)
    first = next(lines, "")
    if first.startswith("\ufeff"):
        first = first[1:]
    if not first.strip():
        raise BadFile(_("The file is empty or its first line is blank. Nothing was imported."))
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    header = _next_row(reader)
    if header is None:
        raise BadFile(_("The file is empty. Nothing was imported."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        while (cells := _next_row(reader)) is not None:
            yield reader.line_num, cells

    return header, rows()


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _next_row(reader: Reader) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error:
        raise BadFile(
            _(
                "Line {line} cannot be read as CSV (a quotation mark that is never closed, or a "
                "cell that is too long). Nothing was imported."
            ).format(line=reader.line_num)
        ) from None


def header_refusal(expected: Iterable[str], optional: Iterable[str] = ()) -> BadFile:
    """The header lacks a required column: say which columns a file must have."""
    message = _("The header row is wrong: the file must have the columns {columns}.").format(
        columns=", ".join(expected)
    )
    extra = list(optional)
    if extra:
        message += " " + _("Optional: {columns}.").format(columns=", ".join(extra))
    return BadFile(message + " " + _("Nothing was imported."))


def identifier_in_header() -> BadFile:
    return BadFile(
        _(
            "The header row contains what looks like a personal identity number; the file is "
            "refused and nothing of it is stored."
        )
    )
