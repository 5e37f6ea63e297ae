"""SQL behind the chat service (bot/ports/chat.py): staff, deadline lists, hand-made changes,
channel links and the memory of processed requests."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Select, and_, bindparam, case, delete, func, or_, select, update
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
from storage.repositories import _chunks

# The tables beneath the models: Core statements on them skip the ORM's loading of rows.
_FRIST, _ARENDE, _PERSON = Frist.__table__, Arende.__table__, Person.__table__


def _effective_day():
    """The extended last day if there is one, else the legal last day."""
    return func.coalesce(Frist.extended_to, Frist.last_day)


def _status(scoped: bool):
    """Frist.status, or when the asker's cases drive the query an expression no index serves:
    the planner then starts from those cases (ix_arende_handlaggare_id, ix_arende_enhet_id,
    ix_frist_arende_id) whatever its statistics, instead of reading every open deadline
    through ix_frist_next_step (what SQLite picks without ANALYZE)."""
    return Frist.status.concat("") if scoped else Frist.status


@functools.cache
def _deadline_query(given: frozenset[str], open_only: bool) -> Select:
    """The deadline list's statement for the filters `given` (bound parameters of the same
    names): built once per shape, so that a question does not build and key it again."""
    F, A, P = _FRIST.c, _ARENDE.c, _PERSON.c
    day = func.coalesce(F.extended_to, F.last_day)
    query = (
        select(
            F.id,
            F.arende_id,
            A.code,
            F.rule_id,
            F.trigger_date,
            F.last_day,
            F.extended_to,
            F.status,
            F.closed_on,
            and_(F.status != "open", F.closing_handelse_id.is_(None)),
            F.done_by,
            A.enhet_id,
            A.handlaggare_id,
            P.chat_user_id,
            F.acknowledged_on,
            F.extension_reason,
            F.extension_level,
        )
        .join(_ARENDE, A.id == F.arende_id)
        .outerjoin(_PERSON, P.id == A.handlaggare_id)
        .order_by(day, A.code, F.rule_id, F.id)
    )
    if open_only:
        scoped = bool(given & {"handlaggare_ids", "enhet_id", "case_ids"})
        query = query.where((F.status.concat("") if scoped else F.status) == "open")
    if "handlaggare_ids" in given:
        query = query.where(A.handlaggare_id.in_(bindparam("handlaggare_ids", expanding=True)))
    if "enhet_id" in given:
        query = query.where(A.enhet_id == bindparam("enhet_id"))
    if "case_ids" in given:
        query = query.where(F.arende_id.in_(bindparam("case_ids", expanding=True)))
    if "frist_ids" in given:
        query = query.where(F.id.in_(bindparam("frist_ids", expanding=True)))
    if "until" in given:
        query = query.where(day <= bindparam("until", type_=Date))
    return query


# How many open deadlines of some handläggare end after a day (from their cases, as the list).
_OPEN_AFTER = (
    select(func.count())
    .select_from(_FRIST.join(_ARENDE, _ARENDE.c.id == _FRIST.c.arende_id))
    .where(
        _ARENDE.c.handlaggare_id.in_(bindparam("handlaggare_ids", expanding=True)),
        _FRIST.c.status.concat("") == "open",
        func.coalesce(_FRIST.c.extended_to, _FRIST.c.last_day) > bindparam("day", type_=Date),
    )
)


# A member of staff by chat id, as StaffMember's fields (Core: no ORM object is loaded).
_STAFF_BY_CHAT_ID = (
    select(
        *(
            _PERSON.c[name]
            for name in (
                "id",
                "chat_user_id",
                "email",
                "role",
                "enhet_id",
                "active",
                "absent_from",
                "absent_to",
                "substitute_id",
            )
        ),
        Enhet.__table__.c.name.label("enhet"),
    )
    .outerjoin(Enhet.__table__, Enhet.__table__.c.id == _PERSON.c.enhet_id)
    .where(_PERSON.c.chat_user_id == bindparam("chat_user_id"))
)


# Colleagues away on a day whose substitute is a given person.
_STANDING_IN_FOR = select(_PERSON.c.id).where(
    _PERSON.c.substitute_id == bindparam("person_id"),
    _PERSON.c.absent_from <= bindparam("day", type_=Date),
    func.coalesce(_PERSON.c.absent_to, _PERSON.c.absent_from) >= bindparam("day", type_=Date),
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
        found = await self.session.execute(_STAFF_BY_CHAT_ID, {"chat_user_id": chat_user_id})
        row = found.first()
        if row is None:
            return None
        fields = dict(row._mapping)
        return StaffMember(**{**fields, "role": Role(fields["role"])})

    async def link_by_email(self, email: str, chat_user_id: str) -> bool:
        result = await self.session.execute(
            update(Person)
            .where(func.lower(Person.email) == email.strip().lower(), Person.chat_user_id.is_(None))
            .values(chat_user_id=chat_user_id)
        )
        return bool(result.rowcount)

    async def staff_by_ids(self, ids: Iterable[int]) -> dict[int, StaffMember]:
        result: dict[int, StaffMember] = {}
        for batch in _chunks(set(ids)):
            rows = await self.session.execute(
                select(Person, Enhet.name)
                .outerjoin(Enhet, Enhet.id == Person.enhet_id)
                .where(Person.id.in_(batch))
            )
            result.update({person.id: _staff(person, name) for person, name in rows.all()})
        return result

    async def standing_in_for(self, person_id: int, day: date) -> list[int]:
        """Colleagues away on `day` whose substitute is `person_id`."""
        rows = await self.session.execute(_STANDING_IN_FOR, {"person_id": person_id, "day": day})
        return [row[0] for row in rows.all()]

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
        params: dict[str, object] = {}
        if handlaggare_ids is not None:
            params["handlaggare_ids"] = list(set(handlaggare_ids))
        if enhet_id is not None:
            params["enhet_id"] = enhet_id
        if case_ids is not None:
            params["case_ids"] = list(set(case_ids))
        if frist_ids is not None:
            params["frist_ids"] = list(set(frist_ids))
        if until is not None:
            params["until"] = until
        query = _deadline_query(frozenset(params), open_only)
        rows = await self.session.execute(query, params)
        return [
            Deadline(
                frist_id=row[0],
                case_id=row[1],
                code=row[2],
                rule_id=row[3],
                trigger_date=row[4],
                last_day=row[5],
                extended_to=row[6],
                status=Status(row[7]),
                closed_on=row[8],
                closed_by_hand=bool(row[9]),
                done_by=row[10],
                enhet_id=row[11],
                handlaggare_id=row[12],
                handlaggare_chat=row[13],
                acknowledged_on=row[14],
                extension_reason=row[15],
                extension_level=row[16],
            )
            for row in rows.all()
        ]

    async def open_after(self, handlaggare_ids: Iterable[int], day: date) -> int:
        params = {"handlaggare_ids": list(set(handlaggare_ids)), "day": day}
        return int((await self.session.execute(_OPEN_AFTER, params)).scalar_one())

    async def open_per_owner(
        self, enhet_id: int | None, today: date
    ) -> list[tuple[int | None, int, int]]:
        day = _effective_day()
        query = (
            select(
                Arende.handlaggare_id,
                func.count(),
                func.count(case((day < today, 1))),
            )
            .join(Arende, Arende.id == Frist.arende_id)
            .where(_status(enhet_id is not None) == "open")
            .group_by(Arende.handlaggare_id)
            .order_by(func.min(day), Arende.handlaggare_id.is_(None), Arende.handlaggare_id)
        )
        if enhet_id is not None:
            query = query.where(Arende.enhet_id == enhet_id)
        rows = await self.session.execute(query)
        return [(row[0], row[1], row[2]) for row in rows.all()]

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
        is_open = Frist.status == "open"
        done = and_(Frist.status == "done", Frist.closed_on >= since)
        query = select(
            func.count(case((is_open, 1))),
            func.count(case((and_(is_open, _effective_day() < today), 1))),
            func.count(case((and_(is_open, Frist.extended_to.is_not(None)), 1))),
            func.count(case((done, 1))),
            func.count(case((and_(done, Frist.closed_on > _effective_day()), 1))),
        ).join(Arende, Arende.id == Frist.arende_id)
        if enhet_id is not None:
            query = query.where(Arende.enhet_id == enhet_id)
        row = (await self.session.execute(query)).one()
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
