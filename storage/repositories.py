"""SQL behind the CaseStore port. Bulk statements, chunked to stay within parameter limits."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadline import Deadline
from bot.domain.deadlines import (
    CaseEvent,
    DeadlineChanges,
    DerivedDeadline,
    Status,
    StoredDeadline,
)
from bot.domain.staff import StaffMember
from bot.ports.cases import CaseRecord, NewEvent
from storage.bulk import insert_rows, new_ids
from storage.deadline_rows import deadline_of, deadlines_with_case
from storage.models import Arende, Enhet, Frist, Handelse, Notification, Person
from storage.raw import RawSql

CHUNK = 2000
_FRIST_COLUMNS = (
    "arende_id",
    "rule_id",
    "trigger_handelse_id",
    "occurrence",
    "trigger_date",
    "calendar_last_day",
    "last_day",
    "status",
    "closed_on",
    "closing_handelse_id",
    "next_step_at",
    "updated_at",
    "created_at",
)


def _chunks[T](items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _record(row: Arende) -> CaseRecord:
    return CaseRecord(row.id, row.code, row.fingerprint, row.enhet_id, row.handlaggare_id)


class SqlCaseStore:
    """CaseStore on an open session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ensure_units(self, names: Iterable[str], now: datetime) -> dict[str, int]:
        wanted = set(names)
        found: dict[str, int] = {}
        for batch in _chunks(sorted(wanted)):
            rows = await self.session.execute(
                select(Enhet.name, Enhet.id).where(Enhet.name.in_(batch))
            )
            found.update(dict(rows.all()))
        missing = [{"name": name, "created_at": now} for name in sorted(wanted - found.keys())]
        if missing:
            await self.session.execute(insert(Enhet), params=missing)
            return await self.ensure_units(wanted, now)
        return found

    async def ensure_staff(
        self, handles: Iterable[tuple[str, int]], now: datetime
    ) -> dict[str, int]:
        """Person ids by chat id or e-mail; unknown ones are added as handläggare of the unit."""
        wanted = dict(handles)
        emails = [h for h in wanted if "@" in h]
        chat_ids = [h for h in wanted if "@" not in h]
        found: dict[str, int] = {}
        for column, values in ((Person.email, emails), (Person.chat_user_id, chat_ids)):
            for batch in _chunks(values):
                rows = await self.session.execute(
                    select(column, Person.id).where(column.in_(batch))
                )
                found.update(dict(rows.all()))
        missing = [
            {
                "email": handle if "@" in handle else None,
                "chat_user_id": None if "@" in handle else handle,
                "role": "handlaggare",
                "enhet_id": enhet_id,
                "active": True,
                "created_at": now,
            }
            for handle, enhet_id in wanted.items()
            if handle not in found
        ]
        if missing:
            await self.session.execute(insert(Person), params=missing)
            return await self.ensure_staff(wanted.items(), now)
        return found

    async def upsert_staff(self, records: Sequence[StaffMember], now: datetime) -> int:
        """Create or update staff by chat user id; substitutes are linked after all exist.
        Open deadlines of anyone whose availability changed are replanned at once."""
        units = await self.ensure_units({r.enhet for r in records if r.enhet}, now)
        existing = {
            p.chat_user_id: p
            for p in (
                await self.session.execute(
                    select(Person).where(Person.chat_user_id.in_([r.chat_user_id for r in records]))
                )
            ).scalars()
        }
        # Someone known only by e-mail (a case import named them so) gets their chat id now.
        by_email = {
            r.email.lower(): r.chat_user_id
            for r in records
            if r.email and r.chat_user_id not in existing
        }
        if by_email:
            rows = await self.session.execute(
                select(Person).where(
                    Person.email.in_(list(by_email)), Person.chat_user_id.is_(None)
                )
            )
            for person in rows.scalars():
                person.chat_user_id = by_email[person.email]
                existing[person.chat_user_id] = person
        changed: list[int] = []
        for record in records:
            person = existing.get(record.chat_user_id)
            values = {
                "role": record.role.value,
                "enhet_id": units.get(record.enhet) if record.enhet else None,
                "email": record.email.lower() if record.email else None,
                "active": record.active,
                "absent_from": record.absent_from,
                "absent_to": record.absent_to,
            }
            if record.name:  # a register without names keeps the stored ones
                values["name"] = record.name
            if person is None:
                person = Person(chat_user_id=record.chat_user_id, created_at=now, **values)
                self.session.add(person)
                existing[record.chat_user_id] = person
            else:
                for key, value in values.items():
                    setattr(person, key, value)
        await self.session.flush()
        for record in records:
            person = existing[record.chat_user_id]
            wanted = record.substitute_chat_id
            substitute = existing.get(wanted) if wanted else None
            if substitute is None and wanted:
                substitute = (
                    await self.session.execute(select(Person).where(Person.chat_user_id == wanted))
                ).scalar()
            person.substitute_id = substitute.id if substitute else None
            changed.append(person.id)
        await self.session.flush()
        await self.session.execute(
            update(Frist)
            .where(
                Frist.status == "open",
                Frist.arende_id.in_(select(Arende.id).where(Arende.handlaggare_id.in_(changed))),
            )
            .values(next_step_at=now)
        )
        return len(records)

    async def set_escalation_channel(self, enhet: str, channel: str | None, now: datetime) -> None:
        units = await self.ensure_units([enhet], now)
        await self.session.execute(
            update(Enhet).where(Enhet.id == units[enhet]).values(escalation_channel=channel)
        )

    async def cases_by_code(self, codes: Iterable[str]) -> dict[str, CaseRecord]:
        raw = RawSql(self.session)  # an import's look-up: plain tuples (ix_arende_code)
        found: dict[str, CaseRecord] = {}
        for batch in _chunks(set(codes)):
            rows = await raw.rows(
                "SELECT id, code, fingerprint, enhet_id, handlaggare_id FROM arende "
                f"WHERE {raw.any_of('code', batch, 1)}",
                raw.ids(batch),
            )
            for row in rows:
                found[row[1]] = CaseRecord(*row)
        return found

    async def case_by_fingerprint(self, fingerprints: Iterable[str]) -> dict[str, CaseRecord]:
        found: dict[str, CaseRecord] = {}
        for batch in _chunks(set(fingerprints)):
            rows = await self.session.execute(select(Arende).where(Arende.fingerprint.in_(batch)))
            found.update({row.fingerprint: _record(row) for row in rows.scalars().all()})
        return found

    async def add_case(
        self,
        code: str,
        fingerprint: str | None,
        enhet_id: int,
        handlaggare_id: int | None,
        origin: str,
        now: datetime,
    ) -> CaseRecord:
        row = Arende(
            code=code,
            fingerprint=fingerprint,
            enhet_id=enhet_id,
            handlaggare_id=handlaggare_id,
            origin=origin,
            opened_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _record(row)

    async def add_cases(
        self, cases: Sequence[tuple[str, str | None, int, int | None]], origin: str, now: datetime
    ) -> dict[str, int]:
        """Insert many cases (code, fingerprint, enhet, handläggare) in bulk; ids by code."""
        ids = await new_ids(self.session, "arende", len(cases))
        await insert_rows(
            self.session,
            "arende",
            ("id", "code", "fingerprint", "enhet_id", "handlaggare_id", "origin", "opened_at"),
            (
                (case_id, code, fingerprint, enhet_id, handlaggare_id, origin, now)
                for case_id, (code, fingerprint, enhet_id, handlaggare_id) in zip(
                    ids, cases, strict=True
                )
            ),
            times=("opened_at",),
        )
        return {code: case_id for case_id, (code, *_rest) in zip(ids, cases, strict=True)}

    async def assign_case(self, case_id: int, enhet_id: int, handlaggare_id: int | None) -> None:
        await self.session.execute(
            update(Arende)
            .where(Arende.id == case_id)
            .values(enhet_id=enhet_id, handlaggare_id=handlaggare_id)
        )

    async def add_events(
        self, events: Sequence[NewEvent], now: datetime, new_cases: Collection[int] = ()
    ) -> list[NewEvent]:
        """Insert events not already stored (same case, type and date); returns the new ones
        with their ids. The events of `new_cases` (added in this transaction) are not looked up."""
        keys = {(e.case_id, e.type, e.date): e for e in events}
        new = set(new_cases)
        existing = await self.event_keys({e.case_id for e in events if e.case_id not in new})
        unstored = [e for key, e in keys.items() if key not in existing]
        ids = await new_ids(self.session, "handelse", len(unstored))
        fresh = [
            NewEvent(e.case_id, e.type, e.date, e.source, e.registered_by, event_id)
            for e, event_id in zip(unstored, ids, strict=True)
        ]
        await insert_rows(
            self.session,
            "handelse",
            ("id", "arende_id", "type", "date", "source", "registered_by", "registered_at"),
            ((e.id, e.case_id, e.type, e.date, e.source, e.registered_by, now) for e in fresh),
            times=("registered_at",),
            dates=("date",),
        )
        return fresh

    async def event_keys(self, case_ids: Iterable[int]) -> set[tuple[int, str, date]]:
        raw = RawSql(self.session)  # plain tuples (ix_handelse_arende_id)
        days: dict[date | str, date] = {}  # an export repeats its dates
        keys: set[tuple[int, str, date]] = set()
        for batch in _chunks(case_ids):
            rows = await raw.rows(
                "SELECT arende_id, type, date FROM handelse "
                f"WHERE {raw.any_of('arende_id', batch, 1)}",
                raw.ids(batch),
            )
            for case_id, kind, stored in rows:
                day = days.get(stored)
                if day is None:
                    day = days[stored] = raw.stored_day(stored)
                keys.add((case_id, kind, day))
        return keys

    async def events_of(self, case_ids: Iterable[int]) -> dict[int, list[CaseEvent]]:
        result: dict[int, list[CaseEvent]] = {}
        for batch in _chunks(set(case_ids)):
            rows = await self.session.execute(
                select(Handelse.arende_id, Handelse.id, Handelse.type, Handelse.date).where(
                    Handelse.arende_id.in_(batch)
                )
            )
            for case_id, event_id, kind, day in rows.all():
                result.setdefault(case_id, []).append(CaseEvent(event_id, kind, day))
        return result

    async def deadlines_of(self, case_ids: Iterable[int]) -> dict[int, list[StoredDeadline]]:
        result: dict[int, list[StoredDeadline]] = {}
        for batch in _chunks(set(case_ids)):
            rows = await self.session.execute(
                select(
                    Frist.id,
                    Frist.arende_id,
                    Frist.rule_id,
                    Frist.trigger_handelse_id,
                    Frist.occurrence,
                    Frist.trigger_date,
                    Frist.calendar_last_day,
                    Frist.last_day,
                    Frist.status,
                    Frist.closed_on,
                    Frist.closing_handelse_id,
                ).where(Frist.arende_id.in_(batch))
            )
            for row in rows.all():
                result.setdefault(row.arende_id, []).append(
                    StoredDeadline(
                        id=row.id,
                        key=(row.rule_id, row.trigger_handelse_id, row.occurrence),
                        trigger_date=row.trigger_date,
                        calendar_last_day=row.calendar_last_day,
                        last_day=row.last_day,
                        status=Status(row.status),
                        closed_on=row.closed_on,
                        closing_event_id=row.closing_handelse_id,
                    )
                )
        return result

    async def deadline_views(self, codes: Iterable[str] | None = None) -> list[Deadline]:
        """Deadlines with their case codes, nearest last day first."""
        query = deadlines_with_case().order_by(Frist.last_day, Arende.code, Frist.rule_id)
        if codes is not None:
            query = query.where(Arende.code.in_(list(codes)))
        rows = await self.session.execute(query)
        return [deadline_of(row) for row in rows.all()]

    @staticmethod
    def _values(case_id: int, item: DerivedDeadline, now: datetime) -> dict:
        return {
            "arende_id": case_id,
            "rule_id": item.rule_id,
            "trigger_handelse_id": item.trigger_event_id,
            "occurrence": item.occurrence,
            "trigger_date": item.trigger_date,
            "calendar_last_day": item.calendar_last_day,
            "last_day": item.last_day,
            "status": item.status.value,
            "closed_on": item.closed_on,
            "closing_handelse_id": item.closing_event_id,
            "next_step_at": now if item.status is Status.OPEN else None,
            "updated_at": now,
        }

    async def apply_deadline_changes(
        self, changes: dict[int, DeadlineChanges], now: datetime
    ) -> None:
        """Write reconciled deadlines of many cases: bulk inserts, row updates, cancellations."""
        rows = [
            (
                case_id,
                item.rule_id,
                item.trigger_event_id,
                item.occurrence,
                item.trigger_date,
                item.calendar_last_day,
                item.last_day,
                item.status.value,
                item.closed_on,
                item.closing_event_id,
                now if item.status is Status.OPEN else None,
                now,
                now,
            )
            for case_id, change in changes.items()
            for item in change.insert
        ]
        await insert_rows(
            self.session,
            "frist",
            _FRIST_COLUMNS,
            rows,
            times=("next_step_at", "updated_at", "created_at"),
            dates=("trigger_date", "calendar_last_day", "last_day", "closed_on"),
        )
        for case_id, change in changes.items():
            for frist_id, item in change.update:
                await self.session.execute(
                    update(Frist)
                    .where(Frist.id == frist_id)
                    .values(**self._values(case_id, item, now))
                )
        orphaned = [frist_id for change in changes.values() for frist_id in change.orphaned]
        for batch in _chunks(orphaned):
            await self.session.execute(
                update(Frist)
                .where(Frist.id.in_(batch))
                .values(status=Status.CANCELLED.value, next_step_at=None, updated_at=now)
            )
        closed = orphaned + [
            frist_id
            for change in changes.values()
            for frist_id, item in change.update
            if item.status is not Status.OPEN
        ]
        for batch in _chunks(closed):
            await self.session.execute(
                update(Notification)
                .where(Notification.frist_id.in_(batch), Notification.state == "pending")
                .values(state="cancelled")
            )
