"""Import the staff register from a CSV file: who works where, in which role.

Columns (header row, `;` or `,`): anvandare (the chat platform's user id: Slack `U…`/`W…`, or
a Microsoft Entra object id, a GUID, as Teams knows people), epost, roll, enhet and, optionally,
ersattare (the substitute's user id) and namn (the name reports show). Every row is checked
first and every problem reported with its line number; on any error nothing is stored. People
not in the file are left as they are; an absence registered in chat is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.clock import Clock
from bot.domain.commands import fold
from bot.domain.roles import Role
from bot.domain.screening import find_identifiers
from bot.domain.staff import StaffMember, is_platform_user_id, normal_user_id
from bot.i18n import _
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.csv_cells import formula_refusal, starts_like_formula
from bot.services.import_file import csv_rows, header_refusal, identifier_in_header
from bot.services.importer import RowError
from bot.services.problems import clear_reported

COLUMNS = ("anvandare", "epost", "roll", "enhet")
OPTIONAL = ("ersattare", "namn")
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
    "namn": "namn",
    "name": "namn",
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
        self, source: str | Iterable[str], progress: Progress | None = None
    ) -> tuple[list[tuple[int, StaffMember]], list[RowError], int]:
        header, reader = csv_rows(source)
        if any(find_identifiers(cell) for cell in header):
            raise identifier_in_header()
        columns = [ALIASES.get(_key(name)) for name in header]
        if any(name not in columns for name in COLUMNS):
            raise header_refusal(COLUMNS, OPTIONAL)
        index = {name: columns.index(name) for name in COLUMNS + OPTIONAL if name in columns}
        records: list[tuple[int, StaffMember]] = []
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        count = 0
        for line, cells in reader:
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
            user = record.chat_user_id if record is not None else None
            if user is not None and user in seen:
                problems.append(
                    RowError(
                        line,
                        _("{user} is already on line {other}").format(user=user, other=seen[user]),
                    )
                )
            errors += problems
            if record is not None and user is not None and not problems:
                seen[user] = line
                records.append((line, record))
        return records, errors, count

    def _record(self, line: int, cell: dict[str, str]) -> tuple[StaffMember | None, list[RowError]]:
        errors: list[RowError] = []
        user = normal_user_id(cell["anvandare"])
        if not is_platform_user_id(user):
            errors.append(
                RowError(
                    line,
                    _(
                        "anvandare must be a chat user id (Slack U… or W…, or a Microsoft Entra "
                        "object id)"
                    ),
                )
            )
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
        if enhet is not None and starts_like_formula(enhet):
            errors.append(RowError(line, formula_refusal("enhet")))
        substitute = normal_user_id(cell.get("ersattare") or "") or None
        if substitute and not is_platform_user_id(substitute):
            errors.append(
                RowError(
                    line,
                    _(
                        "ersattare must be a chat user id (Slack U… or W…, or a Microsoft Entra "
                        "object id)"
                    ),
                )
            )
        elif substitute and substitute == user:
            errors.append(RowError(line, _("nobody can be their own substitute")))
        if errors or role is None:
            return None, errors
        member = StaffMember(
            chat_user_id=user,
            role=role,
            enhet=enhet,
            email=email,
            name=(cell.get("namn") or "").strip() or None,
            substitute_chat_id=substitute,
        )
        return member, []

    async def run(
        self, source: str | Iterable[str], progress: Progress | None = None
    ) -> StaffReport:
        """Store the register; raises StaffImportAborted or BadFile (nothing stored) on errors."""
        records, errors, count = self.parse(source, progress)
        report = StaffReport(rows=count, errors=errors)
        if errors:
            raise StaffImportAborted(report)
        now = self.clock.now()
        async with self.unit_of_work() as uow:
            in_file = {record.chat_user_id for _line, record in records}
            kept: list[StaffMember] = []
            for line, record in records:
                user, wanted = record.chat_user_id, record.substitute_chat_id
                current = await uow.chat.staff_by_chat_id(user) if user else None
                unknown_substitute = (
                    wanted is not None
                    and wanted not in in_file
                    and await uow.chat.staff_by_chat_id(wanted) is None
                )
                if unknown_substitute:
                    report.errors.append(
                        RowError(
                            line,
                            _("the substitute {user} is neither in the file nor in Frister").format(
                                user=wanted
                            ),
                        )
                    )
                    continue
                if current is not None and current.absent_from is not None:
                    # An absence registered in chat is kept, and so is its substitute.
                    substitute = wanted
                    if substitute is None and current.substitute_id is not None:
                        found = await uow.chat.staff_by_ids([current.substitute_id])
                        other = found.get(current.substitute_id)
                        substitute = other.chat_user_id if other else None
                    record = replace(
                        record,
                        absent_from=current.absent_from,
                        absent_to=current.absent_to,
                        substitute_chat_id=substitute,
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


async def store_staff(uow: Stores, records: Sequence[StaffMember], now: datetime) -> int:
    """Create or update staff (their open deadlines are replanned) and audit each change."""
    stored = await uow.cases.upsert_staff(records, now)
    # Registered anew: reach them again, and report a new problem again.
    await clear_reported(uow, (r.chat_user_id for r in records if r.chat_user_id), now)
    await uow.audit.append_many(
        [
            (
                "system",
                "personal_andrad",
                None,
                {
                    "chatt_id": r.chat_user_id,
                    "roll": r.role.value,
                    "enhet": r.enhet,
                    "aktiv": r.active,
                    "franvaro": [str(r.absent_from), str(r.absent_to)] if r.absent_from else None,
                    "ersattare": r.substitute_chat_id,
                },
            )
            for r in records
        ],
        now,
    )
    return stored
