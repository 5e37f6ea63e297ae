"""Import open cases from a CSV file: pseudonymise, register events, derive deadlines.

Columns (header row, `;` or `,`): arende, enhet, handlaggare, handelse, datum. The case
reference is hashed and forgotten; any cell that looks like a personnummer refuses the row.
All rows go in one transaction: on any bad row nothing is imported unless `skip_bad` is set.
Events are recorded through bot.services.events (deadlines re-derived, alarms raised).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock, local_today
from bot.domain.calendar import SwedishCalendar
from bot.domain.delegation import DelegationMode, check_decision
from bot.domain.pseudonym import Pseudonym, Pseudonymiser
from bot.domain.roles import DecisionLevel
from bot.domain.rules import RulePack
from bot.domain.screening import find_identifiers, first_with_identifier
from bot.domain.staff import is_platform_user_id, normal_user_id
from bot.i18n import _, ngettext
from bot.ports.cases import NewEvent
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.csv_cells import formula_refusal, starts_like_formula
from bot.services.events import EventEntry, EventRecorder
from bot.services.import_file import csv_rows, header_refusal, identifier_in_header

COLUMNS = ("arende", "enhet", "handlaggare", "handelse", "datum")
ALIASES = {
    "arende": "arende",
    "arendereferens": "arende",
    "referens": "arende",
    "diarienummer": "arende",
    "enhet": "enhet",
    "handlaggare": "handlaggare",
    "handelse": "handelse",
    "datum": "datum",
    "beslutsniva": "beslutsniva",
}
OPTIONAL = ("beslutsniva",)
LEVELS = {
    "handlaggare": DecisionLevel.HANDLAGGARE,
    "1esocialsekreterare": DecisionLevel.FORSTE_SOCIALSEKRETERARE,
    "forstesocialsekreterare": DecisionLevel.FORSTE_SOCIALSEKRETERARE,
    "chef": DecisionLevel.CHEF,
    "enhetschef": DecisionLevel.CHEF,
    "utskott": DecisionLevel.UTSKOTT,
    "namnd": DecisionLevel.NAMND,
    "socialnamnd": DecisionLevel.NAMND,
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ImportAborted(Exception):
    """Nothing was imported; `report.errors` says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("import aborted")
        self.report = report


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line {line}: {message}").format(line=self.line, message=self.message)


@dataclass
class ImportReport:
    rows: int = 0
    imported_rows: int = 0
    new_cases: int = 0
    new_events: int = 0
    existing_events: int = 0
    new_deadlines: int = 0
    changed_deadlines: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        """One Swedish line with the counts."""
        return _(
            "{rows} rows read, {imported} imported: {cases} new cases, {events} new events "
            "({existing} already registered), {deadlines} new and {changed} changed deadlines."
        ).format(
            rows=self.rows,
            imported=self.imported_rows,
            cases=self.new_cases,
            events=self.new_events,
            existing=self.existing_events,
            deadlines=self.new_deadlines,
            changed=self.changed_deadlines,
        )


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to make
class _Row:
    line: int
    code: str
    fingerprint: str | None
    enhet: str
    handlaggare: str
    event: str
    day: date
    without_delegation: bool = False  # accepted below the required level (escalate mode)


Progress = Callable[[int], None]
# A row's cells by name: arende, enhet, handlaggare, handelse, datum, beslutsniva ("" if none).
_Cells = tuple[str, str, str, str, str, str]
# Cases derived and written at a time: what derivation holds in memory stays flat in the
# file's size (one transaction all the same).
CASES_AT_ONCE = 1000


PROGRESS_EVERY = 1000  # rows read between two updates of the progress bar
CLEAN_CELLS = 10_000  # cell values remembered as screened clean (then forgotten, and again)


class _Checked:
    """Cell values a row of this file has already passed every check with (an export repeats
    its enheter, handläggare, events and dates): a row made only of such values, without a
    decision level, needs no check again. The stored values are shared between rows. The
    previous row's pseudonym is kept too (a case's rows tend to follow each other), so the
    reference is hashed once for them; no other reference is held."""

    def __init__(self, pseudonymiser: Pseudonymiser) -> None:
        self.pseudonymiser = pseudonymiser
        self.events: dict[str, str] = {}
        self.days: dict[str, date] = {}
        self.handles: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self._last: tuple[str, Pseudonym] | None = None

    def pseudonym(self, reference: str) -> Pseudonym:
        last = self._last
        if last is not None and last[0] == reference:
            return last[1]
        pseudonym = self.pseudonymiser.pseudonym(reference)
        self._last = (reference, pseudonym)
        return pseudonym

    def row(self, line: int, cell: _Cells) -> _Row | None:
        """The row when every value is known good, else None (check it in full)."""
        reference, enhet_cell, handle_cell, event_cell, day_cell, level = cell
        if level or not reference:
            return None
        event = self.events.get(event_cell)
        day = self.days.get(day_cell)
        handle = self.handles.get(handle_cell)
        enhet = self.units.get(enhet_cell)
        if event is None or day is None or handle is None or enhet is None:
            return None
        pseudonym = self.pseudonym(reference)
        return _Row(line, pseudonym.code, pseudonym.fingerprint, enhet, handle, event, day)

    def learn(self, cell: _Cells, row: _Row) -> None:
        """Remember the values of a row that passed every check."""
        self.units.setdefault(cell[1], row.enhet)
        self.handles.setdefault(cell[2], row.handlaggare)
        self.events.setdefault(cell[3], row.event)
        self.days.setdefault(cell[4], row.day)


def _fold(text: str) -> str:
    """`Ärende ` -> `arende`: lower case, no diacritics, no spaces or underscores."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]", "", plain)


class CaseImporter:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        pack: RulePack,
        calendar: SwedishCalendar,
        pseudonymiser: Pseudonymiser,
        clock: Clock,
        tz: ZoneInfo,
        delegation: DelegationMode = DelegationMode.REFUSE,
        admin_channel: str | None = None,
        new_units: Iterable[str] | None = None,
    ) -> None:
        self.delegation = delegation
        # Enheter the import may create besides those Frister knows; None: any (demo, tests).
        self.new_units = None if new_units is None else frozenset(new_units)
        self.admin_channel = admin_channel
        self.unit_of_work = unit_of_work
        self.pack = pack
        self.calendar = calendar
        self.pseudonymiser = pseudonymiser
        self.clock = clock
        self.tz = tz
        self.recorder = EventRecorder(pack, calendar, admin_channel)
        self._event_names = {_fold(name): event for event, name in pack.events.items()}
        self._event_names.update({_fold(event): event for event in pack.events})

    # ---- parsing --------------------------------------------------------------------------

    def parse(
        self, source: str | Iterable[str], progress: Progress | None = None
    ) -> tuple[list[_Row], list[RowError], int]:
        """Rows that passed every check, the errors of the others, and the number of data rows.

        `source` is the CSV text or its lines; raises BadFile when the file as a whole is bad.
        """
        header, reader = csv_rows(source)
        if self._screen_cells(1, header):
            raise identifier_in_header()
        columns = [ALIASES.get(_fold(name)) for name in header]
        if any(name not in columns for name in COLUMNS):
            raise header_refusal(COLUMNS, OPTIONAL)
        index = {name: columns.index(name) for name in COLUMNS + OPTIONAL if name in columns}
        positions = [index[name] for name in COLUMNS]
        level_at = index.get("beslutsniva")
        reference_at = index["arende"]
        today = local_today(self.clock, self.tz)
        rows: list[_Row] = []
        errors: list[RowError] = []
        checked = _Checked(self.pseudonymiser)
        clean: set[str] = set()  # cell values screened clean, references aside
        count = unreported = 0
        for line, cells in reader:
            if not "".join(cells).strip():  # a blank row
                continue
            count += 1
            unreported += 1
            if progress and unreported == PROGRESS_EVERY:
                progress(unreported)
                unreported = 0
            problem = self._screen_cells(line, cells, clean, reference_at)
            if not problem and len(cells) != len(header):
                problem = [
                    RowError(
                        line,
                        _("the row has {found} columns, the header {expected}").format(
                            found=len(cells), expected=len(header)
                        ),
                    )
                ]
            if problem:
                errors += problem
                continue
            reference, enhet, handle, event, day = [cells[i].strip() for i in positions]
            level = "" if level_at is None else cells[level_at].strip()
            cell = (reference, enhet, handle, event, day, level)
            row = checked.row(line, cell)
            if row is None:
                row, row_errors = self._row(line, cell, today, checked)
                errors += row_errors
                if row is not None:
                    checked.learn(cell, row)
            if row is not None:
                rows.append(row)
        if progress and unreported:
            progress(unreported)
        return rows, errors, count

    def _screen_cells(
        self, line: int, cells: list[str], clean: set[str] | None = None, reference_at: int = -1
    ) -> list[RowError]:
        """The refusal of a row with an identifier in any cell. Cells in `clean` were screened
        before (the check depends on a cell's text alone); the others are added once screened
        clean, except the case reference (the one cell that differs from case to case)."""
        if clean is None:
            number = first_with_identifier(cells)
        else:
            unknown = [i for i, cell in enumerate(cells) if cell not in clean]
            found = first_with_identifier([cells[i] for i in unknown]) if unknown else None
            if found is None and unknown != [reference_at]:  # something new screened clean
                if len(clean) > CLEAN_CELLS:
                    clean.clear()
                clean.update(cells[i] for i in unknown if i != reference_at)
            number = None if found is None else unknown[found]
        if number is None:
            return []
        return [
            RowError(
                line,
                _(
                    "column {column} contains what looks like a personal identity "
                    "number; the row is refused and nothing of it is stored"
                ).format(column=number + 1),
            )
        ]

    def _row(
        self, line: int, cells: _Cells, today: date, checked: _Checked
    ) -> tuple[_Row | None, list[RowError]]:
        cell = dict(zip((*COLUMNS, "beslutsniva"), cells, strict=True))
        errors: list[RowError] = []
        for name in COLUMNS:
            if not cell[name]:
                errors.append(RowError(line, _("the column {column} is empty").format(column=name)))
        if errors:
            return None, errors
        event = self._event_names.get(_fold(cell["handelse"]))
        if event is None:
            message = _("unknown event {event}").format(event=_echo(cell["handelse"]))
            close = difflib.get_close_matches(_fold(cell["handelse"]), self._event_names, n=1)
            if close:
                message += " " + _("(did you mean {event}?)").format(
                    event=self._event_names[close[0]]
                )
            errors.append(RowError(line, message))
        day = None
        if not ISO_DATE.match(cell["datum"]):
            errors.append(RowError(line, _("write the date as YYYY-MM-DD")))
        else:
            try:
                day = date.fromisoformat(cell["datum"])
            except ValueError:
                errors.append(RowError(line, _("the date does not exist")))
        if day is not None and day > today:
            errors.append(RowError(line, _("the date is in the future")))
        handle = cell["handlaggare"]
        if not (is_platform_user_id(handle) or EMAIL.match(handle)):
            errors.append(
                RowError(
                    line,
                    _(
                        "handlaggare must be a chat user id (Slack U… or W…, or a Microsoft Entra "
                        "object id) or an e-mail address"
                    ),
                )
            )
        if starts_like_formula(cell["enhet"]):
            errors.append(RowError(line, formula_refusal("enhet")))
        if errors:
            return None, errors
        escalate = False
        if cell.get("beslutsniva"):
            level = LEVELS.get(_fold(cell["beslutsniva"]).replace(":", ""))
            if level is None:
                return None, [
                    RowError(
                        line,
                        _(
                            "unknown decision level {level} (handläggare, chef, utskott, nämnd)"
                        ).format(level=_echo(cell["beslutsniva"])),
                    )
                ]
            for rule in self.pack.rules.values():
                if event not in rule.closes_on:
                    continue
                check = check_decision(rule, level, extension=False, mode=self.delegation)
                if not check.allowed:
                    return None, [
                        RowError(
                            line,
                            _(
                                "{rule} must be decided at the level {required} or higher "
                                "(delegationsordning); {level} is too low"
                            ).format(rule=rule.name, required=check.required, level=level.value),
                        )
                    ]
                escalate = escalate or check.escalate
        pseudonym = checked.pseudonym(cell["arende"])
        assert event is not None and day is not None  # else errors were returned above
        return (
            _Row(
                line,
                pseudonym.code,
                pseudonym.fingerprint,
                cell["enhet"],
                handle.lower() if "@" in handle else normal_user_id(handle),
                event,
                day,
                escalate,
            ),
            [],
        )

    # ---- importing ------------------------------------------------------------------------

    async def run(
        self,
        text: str | Iterable[str],
        skip_bad: bool = False,
        progress: Progress | None = None,
        case_progress: Progress | None = None,
    ) -> ImportReport:
        """Import `text` (or its lines); raises ImportAborted or BadFile (nothing written) on
        errors unless `skip_bad`."""
        rows, errors, count = self.parse(text, progress)
        rows, errors = await self._known_units(rows, errors)
        report = ImportReport(rows=count, errors=errors)
        rows, collisions = self._collisions_in_file(rows)
        report.errors += collisions
        if report.errors and not skip_bad:
            raise ImportAborted(report)
        now = self.clock.now()
        async with self.unit_of_work(bulk=True) as uow:
            cases = await self._cases(uow, rows, report, skip_bad, now)
            if cases is None:
                report.errors.sort(key=lambda e: e.line)
                return report
            rows, case_ids, new_case_ids, units = cases
            report.imported_rows = len(rows)
            # A case's rows next to each other, in the file's order (new cases' ids follow it).
            rows.sort(key=lambda row: case_ids[row.code])
            # A group of cases at a time: memory stays flat in the file's size. One read of the
            # group's stored events leaves only the rows that add one: an unchanged file makes
            # no entry, derives nothing and writes no event.
            for group in _by_cases(rows, CASES_AT_ONCE):
                keys = {(case_ids[row.code], row.event, row.day) for row in group}
                report.existing_events += len(keys)
                known = {key[0] for key in keys} - new_case_ids
                stored = await uow.cases.event_keys(known) if known else set()
                enhet_of = {row.code: row.enhet for row in group}  # a case's last row decides
                chunk = [
                    EventEntry(
                        NewEvent(case_ids[row.code], row.event, row.day, "import"),
                        row.code,
                        units[enhet_of[row.code]],
                        without_delegation=row.without_delegation,
                    )
                    for row in group
                    if (case_ids[row.code], row.event, row.day) not in stored
                ]
                if not chunk:
                    continue
                recorded = await self.recorder.record(
                    uow,
                    chunk,
                    actor="import",
                    now=now,
                    today=local_today(self.clock, self.tz),
                    new_cases=new_case_ids,
                    progress=case_progress,
                )
                report.new_events += len(recorded.fresh)
                for change in recorded.changes.values():
                    report.new_deadlines += len(change.insert)
                    report.changed_deadlines += len(change.update) + len(change.orphaned)
                code_of = {case_ids[code]: code for code in enhet_of}
                closed = [
                    (
                        "import",
                        "frist_" + item.status.value,
                        code_of[case_id],
                        {"regel": item.rule_id, "sista_dag": item.last_day.isoformat()},
                    )
                    for case_id, change in recorded.changes.items()
                    for _id, item in change.update
                    if item.status.value != "open"
                ]
                if closed:
                    await uow.audit.append_many(closed, now)
            report.existing_events -= report.new_events
            await uow.outbox.set_state("import:last", now.isoformat(), now)
        report.errors.sort(key=lambda e: e.line)
        return report

    async def _cases(
        self, uow: Stores, rows: list[_Row], report: ImportReport, skip_bad: bool, now: datetime
    ) -> tuple[list[_Row], dict[str, int], set[int], dict[str, int]] | None:
        """The rows left, each case's id, the ids of the cases added now and each enhet's id;
        None when no row is left. Refuses codes stored for another reference, adds the enheter,
        handläggare and cases the rows name and gives a case the owner of its last row. What
        only this needs is dropped on return."""
        fingerprint_of = {row.code: row.fingerprint for row in rows}
        existing = await uow.cases.cases_by_code(fingerprint_of)
        clashing = {
            code
            for code, case in existing.items()
            if case.fingerprint is not None and case.fingerprint != fingerprint_of[code]
        }
        del fingerprint_of
        if clashing:
            report.errors += [
                RowError(row.line, _collision_message(row.code))
                for row in rows
                if row.code in clashing
            ]
            if not skip_bad:
                raise ImportAborted(report)
            rows = [row for row in rows if row.code not in clashing]
        if not rows:
            return None
        units = await uow.cases.ensure_units({row.enhet for row in rows}, now)
        staff = await uow.cases.ensure_staff(
            {row.handlaggare: units[row.enhet] for row in rows}.items(), now
        )
        last_row = {row.code: row for row in rows}  # the last row of a case decides its owner
        case_ids: dict[str, int] = {}
        new_cases = []
        for code, row in last_row.items():
            enhet_id, owner = units[row.enhet], staff[row.handlaggare]
            case = existing.get(code)
            if case is None:
                new_cases.append((code, row.fingerprint, enhet_id, owner))
                continue
            if (case.enhet_id, case.handlaggare_id) != (enhet_id, owner):
                await uow.cases.assign_case(case.id, enhet_id, owner)
            case_ids[code] = case.id
        new_case_ids: set[int] = set()
        if new_cases:  # one bulk insert, not a statement per case
            added = await uow.cases.add_cases(new_cases, "import", now)
            del new_cases
            case_ids.update(added)
            new_case_ids.update(added.values())
            report.new_cases += len(added)
        return rows, case_ids, new_case_ids, units

    async def _known_units(
        self, rows: list[_Row], errors: list[RowError]
    ) -> tuple[list[_Row], list[RowError]]:
        """Refuse rows whose enhet is neither known (staff register) nor allowed as new."""
        if self.new_units is None:
            return rows, errors
        async with self.unit_of_work(readonly=True) as uow:
            known = set(await uow.reports.unit_names())
        allowed = known | self.new_units
        unknown = [row for row in rows if row.enhet not in allowed]
        if not unknown:
            return rows, errors
        errors = errors + [RowError(row.line, _unknown_unit(row.enhet, known)) for row in unknown]
        errors.sort(key=lambda error: error.line)
        return [row for row in rows if row.enhet in allowed], errors

    @staticmethod
    def _collisions_in_file(rows: list[_Row]) -> tuple[list[_Row], list[RowError]]:
        """Two different references with the same code in one file: refuse both."""
        fingerprints: dict[str, set[str | None]] = {}
        for row in rows:
            fingerprints.setdefault(row.code, set()).add(row.fingerprint)
        clashing = {code for code, prints in fingerprints.items() if len(prints) > 1}
        errors = [RowError(r.line, _collision_message(r.code)) for r in rows if r.code in clashing]
        return [r for r in rows if r.code not in clashing], errors


def _by_cases(rows: list[_Row], size: int) -> Iterator[list[_Row]]:
    """`rows` (a case's rows next to each other) in groups of at most `size` cases. Each group
    is taken off `rows`, so its rows are freed once it is done with."""
    while rows:
        end, cases, last = len(rows), 0, None
        for index, row in enumerate(rows):
            if row.code != last:
                cases, last = cases + 1, row.code
                if cases > size:
                    end = index
                    break
        group = rows[:end]
        del rows[:end]
        yield group


def _collision_message(code: str) -> str:
    return _(
        "two different case references give the code {code}; nothing is merged. "
        "Ask IT to set FRISTER_PSEUDONYM_LENGTH=12"
    ).format(code=code)


def _unknown_unit(name: str, known: Iterable[str]) -> str:
    """The enhet is unknown; name the closest known one (never the refused cell itself)."""
    by_fold = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(name.casefold(), by_fold, n=1, cutoff=0.6)
    if close:
        return _(
            "the enhet is not in the staff register: did you mean {enhet}? (a new enhet is "
            "created only with --new-enhet)"
        ).format(enhet=by_fold[close[0]])
    return _(
        "the enhet is not in the staff register (import the staff first, or create it with "
        "--new-enhet)"
    )


def _echo(cell: str) -> str:
    """A cell as a row error may quote it: never the text when it holds an identifier."""
    return "…" if find_identifiers(cell) else cell


def error_count_line(count: int) -> str:
    return ngettext("{n} row has errors.", "{n} rows have errors.", count).format(n=count)
