"""`frister import` (open cases) and `frister staff import` (the staff register).

A file that cannot be imported as a whole (unreadable, binary, a line too long, two encodings,
a wrong header) gets one Swedish line and no progress bar; bars appear once rows are read and
one at a time, so they end cleanly. A full disk during the import rolls it back and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.cli.errors import EXIT_OK, EXIT_PROBLEM, CliError
from bot.config import Settings
from bot.i18n import _

Progress = Callable[[int], None]


def _columns_help(title: str, columns: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _text in columns)
    lines = [title] + [f"  {name.ljust(width)}  {text}" for name, text in columns]
    return "\n".join(lines)


def case_columns() -> list[tuple[str, str]]:
    return [
        ("arende", _("the case reference (diarienummer); hashed, never stored")),
        ("enhet", _("the enhet, as named in the staff register")),
        ("handlaggare", _("the handläggare's chat user id or e-mail address")),
        ("handelse", _("the event, e.g. anmalan_inkom (frister rules list)")),
        ("datum", _("the date of the event, YYYY-MM-DD, not in the future")),
        ("beslutsniva", _("optional: who decided (handläggare, chef, utskott, nämnd)")),
    ]


def staff_columns() -> list[tuple[str, str]]:
    return [
        ("anvandare", _("the chat user id (Slack U…/W…, or a Microsoft Entra object id)")),
        ("epost", _("the e-mail address (may be empty)")),
        ("roll", _("handläggare, 1:e socialsekreterare, chef, socialchef or admin")),
        ("enhet", _("the enhet (empty for socialchef and admin)")),
        ("ersattare", _("optional: the chat user id of the standing substitute")),
    ]


def add_parsers(commands: Any) -> None:
    """`import` and `staff import`, their help listing the file's columns."""
    file_note = _("The file: CSV with a header row, ; or , between cells, UTF-8 or Windows-1252.")
    imp = commands.add_parser(
        "import",
        help=_("import open cases from a CSV file"),
        description=_("Import open cases from a CSV file. On any bad row nothing is imported."),
        epilog=file_note + "\n\n" + _columns_help(_("Columns:"), case_columns()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, metavar=_("FILE"), help=_("the CSV file of cases"))
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help=_("import the good rows even if some rows have errors"),
    )
    imp.add_argument(
        "--new-enhet",
        action="append",
        default=[],
        metavar=_("NAME"),
        help=_("create this enhet if the staff register lacks it (repeatable)"),
    )
    staff = commands.add_parser("staff", help=_("the staff register: who works where and as what"))
    staff_commands = staff.add_subparsers(dest="staff_command", metavar=_("COMMAND"), required=True)
    staff_import = staff_commands.add_parser(
        "import",
        help=_("import the staff register from a CSV file"),
        description=_(
            "Import the staff register from a CSV file. On any bad row nothing is stored."
        ),
        epilog=file_note + "\n\n" + _columns_help(_("Columns:"), staff_columns()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    staff_import.add_argument(
        "file", type=Path, metavar=_("FILE"), help=_("the CSV file of the staff register")
    )


class _Bars:
    """Progress bars on stderr, created on first use, one at a time (no cursor movement)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._name = ""

    def step(self, name: str, unit: str, total: int | None = None) -> Progress:
        def advance(n: int) -> None:
            if self._name != name:
                self.close()
                from tqdm import tqdm

                self._name = name
                self._bar = tqdm(total=total, desc=name, unit=" " + unit, file=sys.stderr)
            self._bar.update(n)

        return advance

    def close(self, keep: bool = True) -> None:
        """End the bar: kept as its last state, or wiped (before an error line)."""
        if self._bar is not None:
            self._bar.leave = keep
            self._bar.close()
            self._bar = None
            self._name = ""


@contextmanager
def _bars() -> Iterator[_Bars]:
    """Bars that stay after success and are wiped when the work fails."""
    bars = _Bars()
    try:
        yield bars
    except BaseException:
        bars.close(keep=False)
        raise
    bars.close()


def _checked_file(path: Path):
    from bot.services.import_file import BadFile, open_import_file

    if not path.is_file():
        raise CliError(_("No such file: {file}").format(file=path))
    try:
        return open_import_file(path)
    except BadFile as error:
        raise CliError(str(error), EXIT_PROBLEM) from None


def _new_units(names: Sequence[str]) -> list[str]:
    from bot.domain.screening import find_identifiers
    from bot.services.csv_cells import formula_refusal, starts_like_formula

    units = []
    for name in (name.strip() for name in names):
        if not name or find_identifiers(name):
            raise CliError(_("--new-enhet needs the name of an enhet."))
        if starts_like_formula(name):
            raise CliError(formula_refusal("--new-enhet"))
        units.append(name)
    return units


def _run(app: Any, work: Callable[[], Any]) -> Any:
    """Run the import coroutine; a whole-file problem or a full disk is one line."""
    from bot.services.import_file import BadFile
    from storage.faults import is_disk_full

    async def run():
        await app.prepare_database()
        try:
            report = await work()
            await app.optimize_database(bulk=True)  # the planner's statistics follow the data
            return report
        finally:
            await app.close()

    try:
        return asyncio.run(run())
    except BadFile as error:
        raise CliError(str(error), EXIT_PROBLEM) from None
    except Exception as error:
        if is_disk_full(error):
            raise CliError(
                _(
                    "The disk is full: the import was stopped and nothing was stored. Free "
                    "some space and run it again."
                ),
                EXIT_PROBLEM,
            ) from None
        raise


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.services.importer import ImportAborted, error_count_line

    new_units = _new_units(args.new_enhet)
    checked = _checked_file(args.file)
    app = App(settings)
    importer = app.importer(new_units=new_units)
    with _bars() as bars:
        rows = bars.step(_("Rows"), _("rows"), checked.data_lines)
        cases = bars.step(_("Cases"), _("cases"))
        try:
            report = _run(app, lambda: importer.run(checked.lines(), args.skip_bad, rows, cases))
        except ImportAborted as aborted:
            bars.close(keep=False)
            return _nothing_imported(aborted.report.errors)
    for error in report.errors:
        print(error, file=sys.stderr)
    if report.errors:
        print(error_count_line(len(report.errors)) + " " + _("They were skipped."), file=sys.stderr)
    print(report.summary())
    return EXIT_OK


def _nothing_imported(errors: Sequence[object]) -> int:
    """An import refused as a whole: each row's problem, the count, and that nothing changed."""
    from bot.services.importer import error_count_line

    for error in errors:
        print(error, file=sys.stderr)
    print(error_count_line(len(errors)), file=sys.stderr)
    print(_("Nothing was imported."), file=sys.stderr)
    return EXIT_PROBLEM


def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.services.staff import StaffImportAborted

    checked = _checked_file(args.file)
    app = App(settings)
    with _bars() as bars:
        rows = bars.step(_("Rows"), _("rows"), checked.data_lines)
        try:
            report = _run(app, lambda: app.staff_importer().run(checked.lines(), rows))
        except StaffImportAborted as aborted:
            bars.close(keep=False)
            return _nothing_imported(aborted.report.errors)
    print(report.summary())
    return EXIT_OK
