"""SQL behind the chat service (bot/ports/chat.py): staff, deadline lists, hand-made changes,
channel links and the memory of processed requests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.chat import CaseInfo, Counts, EventInfo, ExtensionInfo, RuleCounts, UnitInfo
from storage.models import (
    Arende,
    Enhet,
    EnhetChannel,
    Forlangning,
    Frist,
    Handelse,
    Notification,
    Person,
    ProcessedRequest,
)
from storage.raw import RawSql
from storage.repositories import _chunks


def _effective_day():
    """The extended last day if there is one, else the legal last day."""
    return func.coalesce(Frist.extended_to, Frist.last_day)


def _status(scoped: bool):
    """Frist.status, or when the asker's cases drive the query an expression no index serves:
    the planner then starts from those cases (ix_arende_handlaggare_id, ix_arende_enhet_id,
    ix_frist_arende_id) whatever its statistics, instead of reading every open deadline
    through ix_frist_next_step (what SQLite picks without ANALYZE)."""
    return Frist.status.concat("") if scoped else Frist.status


# The deadline list's columns, in the order `_deadline` reads them.
_DEADLINES = (
    "SELECT frist.id, frist.arende_id, arende.code, frist.rule_id, frist.trigger_date, "
    "frist.last_day, frist.extended_to, frist.status, frist.closed_on, "
    "frist.status != 'open' AND frist.closing_handelse_id IS NULL, frist.done_by, "
    "arende.enhet_id, arende.handlaggare_id, person.chat_user_id, frist.acknowledged_on, "
    "frist.extension_reason, frist.extension_level "
    "FROM frist JOIN arende ON arende.id = frist.arende_id "
    "LEFT OUTER JOIN person ON person.id = arende.handlaggare_id"
)
_DAY = "COALESCE(frist.extended_to, frist.last_day)"
# Members of staff, as StaffMember's fields (`_staff_row` reads them).
_STAFF = (
    "SELECT person.id, person.chat_user_id, person.email, person.role, person.enhet_id, "
    "person.active, person.absent_from, person.absent_to, person.substitute_id, enhet.name "
    "FROM person LEFT OUTER JOIN enhet ON enhet.id = person.enhet_id WHERE "
)
_STAFF_BY_CHAT_ID = _STAFF + "person.chat_user_id = {0}"
# Colleagues away on a day whose substitute is a given person.
_STANDING_IN_FOR = (
    "SELECT id FROM person WHERE substitute_id = {0} AND absent_from <= {1} "
    "AND COALESCE(absent_to, absent_from) >= {2}"
)
_ROLES = {role.value: role for role in Role}
_STATUSES = {status.value: status for status in Status}


def _same(value: date) -> date:
    return value


class _Filters:
    """WHERE conditions and their parameters, in the dialect's placeholders."""

    def __init__(self, raw: RawSql) -> None:
        self.raw = raw
        self.conditions: list[str] = []
        self.parameters: list[object] = []

    def add(self, condition: str, *values: object) -> None:
        """`condition` with `{}` where its one value goes."""
        self.parameters.extend(values)
        self.conditions.append(condition.format(self.raw.mark(len(self.parameters))))

    def among(self, column: str, values: Iterable[int]) -> None:
        ids = list(set(values))
        self.conditions.append(self.raw.any_of(column, ids, len(self.parameters) + 1))
        self.parameters.extend(self.raw.ids(ids))

    def where(self) -> str:
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def _deadline(row: Sequence, day: Callable[[Any], date]) -> Deadline:
    """A row of `_DEADLINES` (SQLite's days as text: `day` reads them)."""
    (
        frist_id,
        case_id,
        code,
        rule_id,
        trigger_date,
        last_day,
        extended_to,
        status,
        closed_on,
        by_hand,
        done_by,
        enhet_id,
        handlaggare_id,
        handlaggare_chat,
        acknowledged_on,
        extension_reason,
        extension_level,
    ) = row
    return Deadline(
        frist_id=frist_id,
        case_id=case_id,
        code=code,
        rule_id=rule_id,
        trigger_date=day(trigger_date),
        last_day=day(last_day),
        extended_to=extended_to and day(extended_to),
        status=_STATUSES[status],
        closed_on=closed_on and day(closed_on),
        closed_by_hand=bool(by_hand),
        done_by=done_by,
        enhet_id=enhet_id,
        handlaggare_id=handlaggare_id,
        handlaggare_chat=handlaggare_chat,
        acknowledged_on=acknowledged_on and day(acknowledged_on),
        extension_reason=extension_reason,
        extension_level=extension_level,
    )


def _staff_row(row: Sequence, day: Callable[[Any], date]) -> StaffMember:
    """A row of `_STAFF` (SQLite's days as text: `day` reads them)."""
    id_, chat_id, email, role, enhet_id, active, absent_from, absent_to, substitute, enhet = row
    return StaffMember(
        id=id_,
        chat_user_id=chat_id,
        email=email,
        role=_ROLES[role],
        enhet_id=enhet_id,
        enhet=enhet,
        active=bool(active),
        absent_from=absent_from and day(absent_from),
        absent_to=absent_to and day(absent_to),
        substitute_id=substitute,
    )


def _staff(person: Person, enhet: str | None) -> StaffMember:
    return StaffMember(
        id=person.id,
        chat_user_id=person.chat_user_id,
        email=person.email,
        role=Role(person.role),
        enhet_id=person.enhet_id,
        enhet=enhet,
        active=person.active,
        absent_from=person.absent_from,
        absent_to=person.absent_to,
        substitute_id=person.substitute_id,
    )


class SqlChatStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- staff ----------------------------------------------------------------------------

    async def staff_by_chat_id(self, chat_user_id: str) -> StaffMember | None:
        """Raw SQL into plain tuples (every question asks it, see storage/raw.py)."""
        raw = RawSql(self.session)
        found = await raw.rows(_STAFF_BY_CHAT_ID.format(raw.mark(1)), (chat_user_id,))
        if not found:
            return None
        return _staff_row(found[0], date.fromisoformat if raw.sqlite else _same)

    async def link_by_email(self, email: str, chat_user_id: str) -> bool:
        result = await self.session.execute(
            update(Person)
            .where(func.lower(Person.email) == email.strip().lower(), Person.chat_user_id.is_(None))
            .values(chat_user_id=chat_user_id)
        )
        return bool(result.rowcount)

    async def staff_by_ids(self, ids: Iterable[int]) -> dict[int, StaffMember]:
        """Raw SQL into plain tuples (the team overview asks it)."""
        raw = RawSql(self.session)
        day = date.fromisoformat if raw.sqlite else _same
        result: dict[int, StaffMember] = {}
        for batch in _chunks(set(ids)):
            statement = _STAFF + raw.any_of("person.id", batch, 1)
            for row in await raw.rows(statement, raw.ids(batch)):
                result[row[0]] = _staff_row(row, day)
        return result

    async def standing_in_for(self, person_id: int, day: date) -> list[int]:
        """Colleagues away on `day` whose substitute is `person_id`."""
        raw = RawSql(self.session)
        statement = _STANDING_IN_FOR.format(raw.mark(1), raw.mark(2), raw.mark(3))
        on = raw.day(day)
        return [row[0] for row in await raw.rows(statement, (person_id, on, on))]

    async def staff_in(self, enhet_id: int | None) -> list[StaffMember]:
        query = (
            select(Person, Enhet.name)
            .outerjoin(Enhet, Enhet.id == Person.enhet_id)
            .where(Person.active.is_(True))
            .order_by(Person.id)
        )
        if enhet_id is not None:
            query = query.where(Person.enhet_id == enhet_id)
        rows = await self.session.execute(query)
        return [_staff(person, name) for person, name in rows.all()]

    async def set_absence(
        self,
        person_id: int,
        start: date | None,
        end: date | None,
        substitute_id: int | None,
        now: datetime,
    ) -> None:
        await self.session.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(absent_from=start, absent_to=end, substitute_id=substitute_id)
        )
        await self._replan_people([person_id], now)

    async def set_role(
        self, chat_user_id: str, role: str, enhet_id: int | None, now: datetime
    ) -> None:
        person = (
            await self.session.execute(select(Person).where(Person.chat_user_id == chat_user_id))
        ).scalar()
        if person is None:
            self.session.add(
                Person(chat_user_id=chat_user_id, role=role, enhet_id=enhet_id, created_at=now)
            )
            await self.session.flush()
            return
        person.role, person.enhet_id, person.active = role, enhet_id, True
        await self.session.flush()
        await self._replan_people([person.id], now)

    async def _replan_people(self, person_ids: list[int], now: datetime) -> None:
        """Open deadlines of these people's cases are planned again at the next tick."""
        await self.session.execute(
            update(Frist)
            .where(
                Frist.status == "open",
                Frist.arende_id.in_(select(Arende.id).where(Arende.handlaggare_id.in_(person_ids))),
            )
            .values(next_step_at=now)
        )

    # ---- deadlines and cases --------------------------------------------------------------

    async def deadline_items(
        self,
        *,
        handlaggare_ids: Iterable[int] | None = None,
        enhet_id: int | None = None,
        case_ids: Iterable[int] | None = None,
        frist_ids: Iterable[int] | None = None,
        open_only: bool = True,
        until: date | None = None,
    ) -> list[Deadline]:
        """Raw SQL into plain tuples (SQLAlchemy's statement and per-value result work cost
        more than the query). When the asker's cases drive the query, the status is compared
        as an expression no index serves (`status || ''`): the planner then starts from those
        cases (ix_arende_handlaggare_id, ix_arende_enhet_id, ix_frist_arende_id) whatever its
        statistics, instead of reading every open deadline through ix_frist_next_step (what
        SQLite picks without ANALYZE)."""
        raw = RawSql(self.session)
        where = _Filters(raw)
        if open_only:
            scoped = handlaggare_ids is not None or enhet_id is not None or case_ids is not None
            where.conditions.append(
                "frist.status || '' = 'open'" if scoped else "frist.status = 'open'"
            )
        if handlaggare_ids is not None:
            where.among("arende.handlaggare_id", handlaggare_ids)
        if enhet_id is not None:
            where.add("arende.enhet_id = {}", enhet_id)
        if case_ids is not None:
            where.among("frist.arende_id", case_ids)
        if frist_ids is not None:
            where.among("frist.id", frist_ids)
        if until is not None:
            where.add(_DAY + " <= {}", raw.day(until))
        statement = (
            f"{_DEADLINES}{where.where()} ORDER BY {_DAY}, arende.code, frist.rule_id, frist.id"
        )
        day = date.fromisoformat if raw.sqlite else _same
        return [_deadline(row, day) for row in await raw.rows(statement, where.parameters)]

    async def open_after(self, handlaggare_ids: Iterable[int], day: date) -> int:
        """How many open deadlines of these handläggare end after `day` (from their cases,
        as `deadline_items`)."""
        raw = RawSql(self.session)
        where = _Filters(raw)
        where.among("arende.handlaggare_id", handlaggare_ids)
        where.conditions.append("frist.status || '' = 'open'")
        where.add(_DAY + " > {}", raw.day(day))
        statement = (
            "SELECT count(*) FROM frist JOIN arende ON arende.id = frist.arende_id" + where.where()
        )
        return int((await raw.rows(statement, where.parameters))[0][0])

    async def open_per_owner(
        self, enhet_id: int | None, today: date
    ) -> list[tuple[int | None, int, int]]:
        """Open and overdue deadlines per handläggare, the one with the nearest first (raw
        SQL: the team overview asks it; scoped to an enhet as `deadline_items`)."""
        raw = RawSql(self.session)
        where = _Filters(raw)
        where.parameters.append(raw.day(today))  # the SELECT's mark comes first
        where.conditions.append(
            "frist.status || '' = 'open'" if enhet_id is not None else "frist.status = 'open'"
        )
        if enhet_id is not None:
            where.add("arende.enhet_id = {}", enhet_id)
        late = raw.mark(1)
        statement = (
            f"SELECT arende.handlaggare_id, count(*), count(CASE WHEN {_DAY} < {late} THEN 1 END) "
            f"FROM frist JOIN arende ON arende.id = frist.arende_id{where.where()} "
            f"GROUP BY arende.handlaggare_id "
            f"ORDER BY min({_DAY}), arende.handlaggare_id IS NULL, arende.handlaggare_id"
        )
        rows = await raw.rows(statement, where.parameters)
        return [(row[0], row[1], row[2]) for row in rows]

    async def case_info(self, code: str) -> CaseInfo | None:
        row = (
            await self.session.execute(
                select(
                    Arende.id,
                    Arende.code,
                    Arende.enhet_id,
                    Enhet.name,
                    Arende.handlaggare_id,
                    Person.chat_user_id,
                    Arende.origin,
                    Arende.opened_at,
                )
                .join(Enhet, Enhet.id == Arende.enhet_id)
                .outerjoin(Person, Person.id == Arende.handlaggare_id)
                .where(Arende.code == code)
            )
        ).first()
        return CaseInfo(*row) if row else None

    async def case_events(self, case_id: int) -> list[EventInfo]:
        rows = await self.session.execute(
            select(Handelse.type, Handelse.date, Handelse.source, Handelse.registered_by)
            .where(Handelse.arende_id == case_id)
            .order_by(Handelse.date, Handelse.id)
        )
        return [EventInfo(*row) for row in rows.all()]

    async def _cancel_pending(self, frist_id: int) -> None:
        await self.session.execute(
            update(Notification)
            .where(Notification.frist_id == frist_id, Notification.state == "pending")
            .values(state="cancelled")
        )

    async def close_by_hand(
        self, frist_id: int, status: str, day: date, by: str, now: datetime
    ) -> bool:
        """Close an open deadline by hand (no event): it stays closed when events are
        re-derived, and its pending reminders are cancelled."""
        result = await self.session.execute(
            update(Frist)
            .where(Frist.id == frist_id, Frist.status == "open")
            .values(
                status=status,
                closed_on=day,
                closing_handelse_id=None,
                done_by=by,
                done_at=now,
                next_step_at=None,
                updated_at=now,
            )
        )
        if not result.rowcount:
            return False
        await self._cancel_pending(frist_id)
        return True

    async def reopen(self, frist_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Frist)
            .where(
                Frist.id == frist_id,
                Frist.status != "open",
                Frist.closing_handelse_id.is_(None),
            )
            .values(
                status="open",
                closed_on=None,
                done_by=None,
                done_at=None,
                next_step_at=now,
                updated_at=now,
            )
        )
        return bool(result.rowcount)

    async def extensions(self, case_id: int) -> list[ExtensionInfo]:
        rows = await self.session.execute(
            select(Forlangning, Frist.rule_id)
            .join(Frist, Frist.id == Forlangning.frist_id)
            .where(Frist.arende_id == case_id)
            .order_by(Forlangning.at, Forlangning.id)
        )
        return [
            ExtensionInfo(
                e.frist_id, rule, e.from_day, e.to_day, e.reason, e.decided_by, e.level, e.at
            )
            for e, rule in rows.all()
        ]

    async def extend_deadline(
        self,
        frist_id: int,
        until: date,
        reason: str,
        decided_by: str,
        level: str,
        now: datetime,
    ) -> bool:
        """Record a decided extension; the ladder is planned again from the new last day."""
        frist = await self.session.get(Frist, frist_id)
        if frist is None or frist.status != "open":
            return False
        before = frist.extended_to or frist.last_day
        result = await self.session.execute(
            update(Frist)
            .where(Frist.id == frist_id, Frist.status == "open")
            .values(
                extended_to=until,
                extension_reason=reason[:500],
                extension_decided_by=decided_by[:40],
                extension_level=level,
                acknowledged_on=None,
                next_step_at=now,
                updated_at=now,
            )
        )
        if not result.rowcount:
            return False
        self.session.add(
            Forlangning(
                frist_id=frist_id,
                from_day=before,
                to_day=until,
                reason=reason[:500],
                decided_by=decided_by[:40] or None,
                level=level,
                at=now,
            )
        )
        await self.session.flush()
        await self._cancel_pending(frist_id)
        return True

    async def acknowledge(self, frist_id: int, day: date) -> None:
        await self.session.execute(
            update(Frist).where(Frist.id == frist_id).values(acknowledged_on=day)
        )

    async def reassign_case(
        self, case_id: int, enhet_id: int, handlaggare_id: int, now: datetime
    ) -> None:
        await self.session.execute(
            update(Arende)
            .where(Arende.id == case_id)
            .values(enhet_id=enhet_id, handlaggare_id=handlaggare_id)
        )
        await self.session.execute(
            update(Frist)
            .where(Frist.arende_id == case_id, Frist.status == "open")
            .values(next_step_at=now)
        )

    async def counts(self, enhet_id: int | None, today: date, since: date) -> Counts:
        """Open, overdue, extended, done since `since` and done late (raw SQL: the team
        overview asks it)."""
        raw = RawSql(self.session)
        is_open = "frist.status = 'open'"

        def done(i: int) -> str:
            return f"frist.status = 'done' AND frist.closed_on >= {raw.mark(i)}"

        statement = (
            f"SELECT count(CASE WHEN {is_open} THEN 1 END), "
            f"count(CASE WHEN {is_open} AND {_DAY} < {raw.mark(1)} THEN 1 END), "
            f"count(CASE WHEN {is_open} AND frist.extended_to IS NOT NULL THEN 1 END), "
            f"count(CASE WHEN {done(2)} THEN 1 END), "
            f"count(CASE WHEN {done(3)} AND frist.closed_on > {_DAY} THEN 1 END) "
            "FROM frist JOIN arende ON arende.id = frist.arende_id"
        )
        parameters: list[object] = [raw.day(today), raw.day(since), raw.day(since)]
        if enhet_id is not None:
            statement += f" WHERE arende.enhet_id = {raw.mark(4)}"
            parameters.append(enhet_id)
        (row,) = await raw.rows(statement, parameters)
        return Counts(*row)

    async def breakdown(self, enhet_id: int | None, today: date, since: date) -> list[RuleCounts]:
        is_open = Frist.status == "open"
        done = and_(Frist.status == "done", Frist.closed_on >= since)
        query = (
            select(
                Arende.enhet_id,
                Frist.rule_id,
                func.count(case((is_open, 1))),
                func.count(case((and_(is_open, _effective_day() < today), 1))),
                func.count(case((and_(is_open, Frist.extended_to.is_not(None)), 1))),
                func.count(case((done, 1))),
                func.count(case((and_(done, Frist.closed_on > _effective_day()), 1))),
            )
            .join(Arende, Arende.id == Frist.arende_id)
            .where(or_(is_open, done))
            .group_by(Arende.enhet_id, Frist.rule_id)
            .order_by(Arende.enhet_id, Frist.rule_id)
        )
        if enhet_id is not None:
            query = query.where(Arende.enhet_id == enhet_id)
        rows = await self.session.execute(query)
        return [RuleCounts(row[0], row[1], Counts(*row[2:])) for row in rows.all()]

    # ---- units and channels ---------------------------------------------------------------

    async def unit_list(self) -> list[UnitInfo]:
        units = (await self.session.execute(select(Enhet).order_by(Enhet.name))).scalars().all()
        links = (await self.session.execute(select(EnhetChannel))).scalars().all()
        channels: dict[int, list[str]] = {}
        for link in links:
            channels.setdefault(link.enhet_id, []).append(link.channel_id)
        return [
            UnitInfo(u.id, u.name, u.escalation_channel, tuple(sorted(channels.get(u.id, []))))
            for u in units
        ]

    async def channel_unit(self, channel_id: str) -> int | None:
        return (
            await self.session.execute(
                select(EnhetChannel.enhet_id).where(EnhetChannel.channel_id == channel_id)
            )
        ).scalar()

    async def link_channel(self, channel_id: str, enhet_id: int | None) -> None:
        await self.session.execute(
            delete(EnhetChannel).where(EnhetChannel.channel_id == channel_id)
        )
        if enhet_id is not None:
            self.session.add(EnhetChannel(enhet_id=enhet_id, channel_id=channel_id))
            await self.session.flush()

    # ---- processed requests ---------------------------------------------------------------

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        """Remember `key`; False when it was remembered within `keep` (a retry or a replay).
        One statement: an expired key is taken over; old keys are deleted once per tick."""
        dialect = self.session.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(ProcessedRequest).values(key=key[:80], created_at=now)
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"],
                set_={"created_at": statement.excluded.created_at},
                where=ProcessedRequest.created_at < now - keep,
            )
        )
        return (result.rowcount or 0) > 0

    async def forget_requests(self, before: datetime) -> None:
        await self.session.execute(
            delete(ProcessedRequest).where(ProcessedRequest.created_at < before)
        )
