"""Import the staff register from a CSV file: who works where, in which role.

Columns (header row, `;` or `,`): anvandare (the Slack user id, U…), epost, roll, enhet and,
optionally, ersattare (the substitute's Slack user id). Every row is checked first and every
problem reported with its line number; on any error nothing is stored. People not in the file
are left as they are; an absence registered in chat is kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.domain.commands import fold
from bot.domain.roles import Role
from bot.domain.screening import find_identifiers
from bot.i18n import _
from bot.ports.cases import StaffRecord
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.importer import RowError

COLUMNS = ("anvandare", "epost", "roll", "enhet")
OPTIONAL = ("ersattare",)
ALIASES = {
    "anvandare": "anvandare",
    "anvandarid": "anvandare",
    "slack": "anvandare",
    "slackid": "anvandare",
    "chattid": "anvandare",
    "userid": "anvandare",
    "epost": "epost",
    "email": "epost",
    "mejl": "epost",
    "roll": "roll",
    "enhet": "enhet",
    "ersattare": "ersattare",
}
ROLES = {
    "handlaggare": Role.HANDLAGGARE,
    "socialsekreterare": Role.HANDLAGGARE,
    "1esocialsekreterare": Role.FORSTE_SOCIALSEKRETERARE,
    "forstesocialsekreterare": Role.FORSTE_SOCIALSEKRETERARE,
    "1e": Role.FORSTE_SOCIALSEKRETERARE,
    "chef": Role.CHEF,
    "enhetschef": Role.CHEF,
    "socialchef": Role.SOCIALCHEF,
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
}
UNITLESS = (Role.SOCIALCHEF, Role.ADMIN)
CHAT_ID = re.compile(r"^[UW][A-Z0-9]{6,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Progress = Callable[[int], None]


class StaffImportAborted(Exception):
    """Nothing was stored; `report.errors` says why."""

    def __init__(self, report: StaffReport) -> None:
        super().__init__("staff import aborted")
        self.report = report


@dataclass
class StaffReport:
    rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return _("{rows} rows read, {stored} people stored.").format(
            rows=self.rows, stored=self.stored
        )


def _key(text: str) -> str:
    return re.sub(r"[\s_\-.:]", "", fold(text))


class StaffImporter:
    def __init__(self, unit_of_work: UnitOfWork, clock: Clock) -> None:
        self.unit_of_work = unit_of_work
        self.clock = clock

    def parse(
        self, text: str, progress: Progress | None = None
    ) -> tuple[list[tuple[int, StaffRecord]], list[RowError], int]:
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            return [], [RowError(1, _("the file is empty"))], 0
        delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = next(reader)
        if any(find_identifiers(cell) for cell in header):
            return [], [RowError(1, _identifier_message(1))], 0
        columns = [ALIASES.get(_key(name)) for name in header]
        missing = [name for name in COLUMNS if name not in columns]
        if missing:
            message = _("the header must have the columns {columns}").format(
                columns=", ".join(COLUMNS)
            )
            return [], [RowError(1, message)], 0
        index = {name: columns.index(name) for name in COLUMNS + OPTIONAL if name in columns}
        records: list[tuple[int, StaffRecord]] = []
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        count = 0
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if progress:
                progress(1)
            found = next((n for n, c in enumerate(cells, 1) if find_identifiers(c)), None)
            if found is not None:
                errors.append(RowError(line, _identifier_message(found)))
                continue
            if len(cells) != len(header):
                errors.append(
                    RowError(
                        line,
                        _("the row has {found} columns, the header {expected}").format(
                            found=len(cells), expected=len(header)
                        ),
                    )
                )
                continue
            cell = {name: cells[i].strip() for name, i in index.items()}
            record, problems = self._record(line, cell)
            if record is not None and record.chat_user_id in seen:
                problems.append(
                    RowError(
                        line,
                        _("{user} is already on line {other}").format(
                            user=record.chat_user_id, other=seen[record.chat_user_id]
                        ),
                    )
                )
            errors += problems
            if record is not None and not problems:
                seen[record.chat_user_id] = line
                records.append((line, record))
        return records, errors, count

    def _record(self, line: int, cell: dict[str, str]) -> tuple[StaffRecord | None, list]:
        errors: list[RowError] = []
        user = cell["anvandare"]
        if not CHAT_ID.match(user):
            errors.append(RowError(line, _("anvandare must be a Slack user id (U…)")))
        email = cell["epost"] or None
        if email and not EMAIL.match(email):
            errors.append(RowError(line, _("epost is not an e-mail address")))
        role = ROLES.get(_key(cell["roll"]))
        if role is None:
            errors.append(
                RowError(
                    line,
                    _(
                        "unknown role {role} (handläggare, 1:e socialsekreterare, chef, "
                        "socialchef or admin)"
                    ).format(role=cell["roll"][:40]),
                )
            )
        enhet = cell["enhet"] or None
        if role is not None and role not in UNITLESS and enhet is None:
            errors.append(RowError(line, _("the column enhet is empty")))
        substitute = cell.get("ersattare") or None
        if substitute and not CHAT_ID.match(substitute):
            errors.append(RowError(line, _("ersattare must be a Slack user id (U…)")))
        elif substitute and substitute == user:
            errors.append(RowError(line, _("nobody can be their own substitute")))
        if errors or role is None:
            return None, errors
        return StaffRecord(user, role.value, enhet, email, substitute=substitute), []

    async def run(self, text: str, progress: Progress | None = None) -> StaffReport:
        """Store the register; raises StaffImportAborted (nothing stored) on any error."""
        records, errors, count = self.parse(text, progress)
        report = StaffReport(rows=count, errors=errors)
        if errors:
            raise StaffImportAborted(report)
        now = self.clock.now()
        async with self.unit_of_work() as uow:
            in_file = {record.chat_user_id for _line, record in records}
            kept: list[StaffRecord] = []
            for line, record in records:
                current = await uow.chat.staff_by_chat_id(record.chat_user_id)
                unknown_substitute = (
                    record.substitute
                    and record.substitute not in in_file
                    and await uow.chat.staff_by_chat_id(record.substitute) is None
                )
                if unknown_substitute:
                    report.errors.append(
                        RowError(
                            line,
                            _("the substitute {user} is neither in the file nor in Frister").format(
                                user=record.substitute
                            ),
                        )
                    )
                    continue
                if current is not None and current.absent_from is not None:
                    substitute = record.substitute
                    if substitute is None and current.substitute_id is not None:
                        found = await uow.chat.staff_by_ids([current.substitute_id])
                        other = found.get(current.substitute_id)
                        substitute = other.chat_user_id if other else None
                    record = StaffRecord(
                        record.chat_user_id,
                        record.role,
                        record.enhet,
                        record.email,
                        record.active,
                        current.absent_from,
                        current.absent_to,
                        substitute,
                    )
                kept.append(record)
            if report.errors:
                raise StaffImportAborted(report)
            report.stored = await store_staff(uow, kept, now)
        return report


def _identifier_message(column: int) -> str:
    return _(
        "column {column} contains what looks like a personal identity number; the row is "
        "refused and nothing of it is stored"
    ).format(column=column)


async def store_staff(uow: Stores, records: Sequence[StaffRecord], now: datetime) -> int:
    """Create or update staff (their open deadlines are replanned) and audit each change."""
    stored = await uow.cases.upsert_staff(records, now)
    await uow.audit.append_many(
        [
            (
                "system",
                "personal_andrad",
                None,
                {
                    "chatt_id": r.chat_user_id,
                    "roll": r.role,
                    "enhet": r.enhet,
                    "aktiv": r.active,
                    "franvaro": [str(r.absent_from), str(r.absent_to)] if r.absent_from else None,
                    "ersattare": r.substitute,
                },
            )
            for r in records
        ],
        now,
    )
    return stored
