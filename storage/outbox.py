"""SQL behind planning and delivery: which deadlines need planning, the outbox, claims."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import String, and_, cast, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadline import Deadline
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.outbox import (
    ChatAddress,
    Claimed,
    DueDeadline,
    FailedNotification,
    NewNotification,
    NotificationDetail,
    OutboxStats,
    StateEntry,
    Unit,
)
from storage.deadline_rows import deadline_of, deadlines_with_case
from storage.models import Arende, Enhet, Frist, Notification, Person
from storage.raw import RawSql, sqlite_moment
from storage.repositories import _chunks

_STAFF = (
    "SELECT id, chat_user_id, email, name, role, enhet_id, active, absent_from, absent_to, "
    "substitute_id FROM person WHERE "
)
_ROLES = {role.value: role for role in Role}
_NOTIFICATION_COLUMNS = (
    "frist_id, step, recipient, reason, due_at, next_attempt_at, state, late, payload, created_at, "
    "attempts, uncertain, possible_duplicate"
)


_SEP = "\x1f"  # joins step keys read in one string (a control character no key contains)
_NONE: frozenset[str] = frozenset()


def _keys(joined: str | None) -> frozenset[str]:
    """Step keys joined by the database with _SEP."""
    return _NONE if joined is None else frozenset(joined.split(_SEP))


class _Statements(NamedTuple):
    """The outbox's raw statements in one dialect's placeholders."""

    insert_notifications: str
    update_next_step: str
    set_state: str
    get_state: str
    planned_steps: str
    due_deadlines: str


@cache
def _statements(sqlite: bool) -> _Statements:
    """Built once per dialect (the tick and every delivery use them)."""
    mark = (lambda i: "?") if sqlite else (lambda i: f"${i}")
    if sqlite:
        insert_notifications = (
            f"INSERT INTO notification ({_NOTIFICATION_COLUMNS}) "
            f"VALUES ({', '.join('?' * 13)}) "
            "ON CONFLICT (frist_id, step, recipient) DO NOTHING"
        )
        update_next_step = "UPDATE frist SET next_step_at = ? WHERE id = ?"
    else:
        # One JSON parameter (json.dumps is C): arrays of values cost asyncpg an ABC
        # isinstance check per element, a statement per row costs the server more.
        insert_notifications = (
            f"INSERT INTO notification ({_NOTIFICATION_COLUMNS}) "
            "SELECT (e->>0)::integer, e->>1, e->>2, e->>3, (e->>4)::timestamptz, "
            "(e->>5)::timestamptz, e->>6, (e->>7)::boolean, e->>8, $2::timestamptz, 0, "
            "false, false FROM json_array_elements($1::json) AS e "
            "ON CONFLICT (frist_id, step, recipient) DO NOTHING"
        )
        update_next_step = (
            "UPDATE frist SET next_step_at = (e->>1)::timestamptz "
            "FROM json_array_elements($1::json) AS e WHERE frist.id = (e->>0)::integer"
        )
    planned = (
        ", (SELECT group_concat(step, char(31)) FROM notification "
        "WHERE notification.frist_id = frist.id) "
        if sqlite
        else " "
    )
    return _Statements(
        insert_notifications=insert_notifications,
        update_next_step=update_next_step,
        set_state=(
            'INSERT INTO runtime_state ("key", value, updated_at) '
            f"VALUES ({mark(1)}, {mark(2)}, {mark(3)}) "
            'ON CONFLICT ("key") DO UPDATE SET value = excluded.value, '
            "updated_at = excluded.updated_at"
        ),
        get_state=f'SELECT "key", value, updated_at FROM runtime_state WHERE "key" LIKE {mark(1)}',
        planned_steps=(
            "SELECT frist_id, string_agg(step, chr(31)) FROM notification "
            "WHERE frist_id = ANY($1) GROUP BY frist_id"
        ),
        due_deadlines=(
            "SELECT frist.id, frist.rule_id, COALESCE(frist.extended_to, frist.last_day), "
            "arende.enhet_id, arende.handlaggare_id, frist.created_at, "
            f"frist.acknowledged_on{planned}FROM frist JOIN arende ON arende.id = frist.arende_id "
            f"WHERE frist.status = 'open' AND frist.next_step_at <= {mark(1)} "
            f"ORDER BY frist.next_step_at LIMIT {mark(2)}"
        ),
    )


class _RawValues(RawSql):
    """RawSql with the outbox's statements (`sql`) in the session's dialect."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.sql = _statements(self.sqlite)


class SqlOutboxStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- planning -------------------------------------------------------------------------

    async def fristar_to_plan(self, now: datetime, limit: int) -> list[DueDeadline]:
        """Open deadlines whose next ladder step is due (uses ix_frist_next_step), each with
        the step keys already planned for it, joined into one string by the database (a
        deadline long overdue has a row per daily escalation: read as rows, they cost more
        than the planning).

        Raw SQL into plain tuples: SQLAlchemy's per-value result processing (SQLite dates are
        parsed by regular expression) cost more than the query itself. SQLite reads the keys
        in the same statement (a correlated subquery: one trip to aiosqlite's thread);
        PostgreSQL in a second one, since the subquery's estimated cost, multiplied by the
        rows the index might return, made it compile the statement with JIT (~10 ms at 1M
        deadlines, for an idle tick that reads nothing).
        """
        raw = _RawValues(self.session)
        rows = await raw.rows(raw.sql.due_deadlines, (raw.moment(now), limit))
        if not raw.sqlite:
            ids = [row[0] for row in rows]
            joined = dict(await raw.rows(raw.sql.planned_steps, (ids,))) if ids else {}
            return [DueDeadline(*row, _keys(joined.get(row[0]))) for row in rows]
        day, moment = date.fromisoformat, sqlite_moment
        return [
            DueDeadline(
                frist_id,
                rule_id,
                day(last_day),
                enhet_id,
                handlaggare_id,
                None if created_at is None else moment(created_at),
                None if acknowledged_on is None else day(acknowledged_on),
                _keys(planned),
            )
            for (
                frist_id,
                rule_id,
                last_day,
                enhet_id,
                handlaggare_id,
                created_at,
                acknowledged_on,
                planned,
            ) in rows
        ]

    async def staff_for(self, enhet_ids: Iterable[int]) -> list[StaffMember]:
        """Staff of these units and every socialchef, and their substitutes (raw SQL into
        plain tuples, as `fristar_to_plan`: hundreds of people per tick)."""
        raw = _RawValues(self.session)
        units = list(set(enhet_ids))
        in_units = raw.any_of("enhet_id", units, 1)
        people = list(
            await raw.rows(
                f"{_STAFF}{in_units} OR role = {raw.mark(2)}",
                (*raw.ids(units), Role.SOCIALCHEF.value),
            )
        )
        substitutes = list({p[9] for p in people if p[9]} - {p[0] for p in people})
        if substitutes:
            people += await raw.rows(
                _STAFF + raw.any_of("id", substitutes, 1), raw.ids(substitutes)
            )
        day = date.fromisoformat if raw.sqlite else None
        return [
            StaffMember(
                id=id_,
                chat_user_id=chat_user_id,
                email=email,
                name=name,
                role=_ROLES[role],
                enhet_id=enhet_id,
                active=bool(active),
                absent_from=absent_from if day is None or absent_from is None else day(absent_from),
                absent_to=absent_to if day is None or absent_to is None else day(absent_to),
                substitute_id=substitute_id,
            )
            for (
                id_,
                chat_user_id,
                email,
                name,
                role,
                enhet_id,
                active,
                absent_from,
                absent_to,
                substitute_id,
            ) in people
        ]

    async def escalation_channels(self, enhet_ids: Iterable[int]) -> dict[int, str | None]:
        raw = _RawValues(self.session)
        units = list(set(enhet_ids))
        statement = "SELECT id, escalation_channel FROM enhet WHERE " + raw.any_of("id", units, 1)
        return {id_: channel for id_, channel in await raw.rows(statement, raw.ids(units))}

    async def add_notifications(self, rows: Sequence[NewNotification], now: datetime) -> None:
        """Insert outbox rows; a (frist, step, recipient) already planned is left alone.

        Raw values, each distinct time formatted once (the tick's largest write): SQLite one
        executemany; PostgreSQL one INSERT … SELECT over a JSON array, since a statement per
        row costs the server ~25 µs each even when pipelined.
        """
        if not rows:
            return
        raw = _RawValues(self.session)
        if not raw.sqlite:
            values = [
                (
                    row.frist_id,
                    row.step,
                    row.recipient,
                    row.reason,
                    raw.iso(row.due_at),
                    raw.iso(max(row.due_at, row.not_before or row.due_at)),
                    row.state,
                    row.late,
                    row.payload,
                )
                for row in rows
            ]
            await raw.execute(raw.sql.insert_notifications, (json.dumps(values), now))
            return
        created, no = raw.moment(now), raw.flag(False)
        values = [
            (
                row.frist_id,
                row.step,
                row.recipient,
                row.reason,
                raw.moment(row.due_at),
                raw.moment(max(row.due_at, row.not_before or row.due_at)),
                row.state,
                raw.flag(row.late),
                row.payload,
                created,
                0,
                no,
                no,
            )
            for row in rows
        ]
        await raw.execute(raw.sql.insert_notifications, values, many=True)

    async def has_step(self, step: str) -> bool:
        """Whether any outbox row has this step key (alarms without a deadline)."""
        found = await self.session.execute(
            select(Notification.id).where(Notification.step == step).limit(1)
        )
        return found.first() is not None

    async def units(self) -> dict[int, Unit]:
        rows = await self.session.execute(select(Enhet.id, Enhet.name, Enhet.escalation_channel))
        return {row.id: Unit(row.id, row.name, row.escalation_channel) for row in rows.all()}

    async def set_next_steps(self, next_steps: dict[int, datetime | None]) -> None:
        """One statement for the whole batch (a statement per deadline cost ~1.5 ms each):
        SQLite an executemany, PostgreSQL an UPDATE … FROM a JSON array."""
        if not next_steps:
            return
        raw = _RawValues(self.session)
        if raw.sqlite:
            values = [(raw.moment(at), key) for key, at in next_steps.items()]
            await raw.execute(raw.sql.update_next_step, values, many=True)
        else:
            values_json = json.dumps([(key, raw.iso(at)) for key, at in next_steps.items()])
            await raw.execute(raw.sql.update_next_step, (values_json,))

    # ---- delivery -------------------------------------------------------------------------

    async def claim(
        self, now: datetime, worker: str, lease: timedelta, limit: int
    ) -> list[Claimed]:
        """Take up to `limit` due rows for `worker`: pending ones whose time has come, and
        rows another worker claimed but never finished (its lease ran out: it crashed)."""
        due = or_(
            and_(Notification.state == "pending", Notification.next_attempt_at <= now),
            and_(Notification.state == "sending", Notification.claimed_until < now),
        )
        query = select(Notification.id, Notification.state).where(due)
        query = query.order_by(Notification.next_attempt_at, Notification.id).limit(limit)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await self.session.execute(query)).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        await self.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(
                state="sending",
                claimed_by=worker,
                claimed_until=now + lease,
                attempts=Notification.attempts + 1,
            )
        )
        query = (
            select(
                Notification.id,
                Notification.frist_id,
                Notification.step,
                Notification.recipient,
                Notification.reason,
                Notification.due_at,
                Notification.late,
                Notification.attempts,
                Notification.uncertain,
                Frist.status,
                Notification.payload,
            )
            .outerjoin(Frist, Frist.id == Notification.frist_id)
            .where(Notification.id.in_(ids))
            .order_by(Notification.next_attempt_at, Notification.id)
        )
        return [Claimed(*row) for row in (await self.session.execute(query)).all()]

    async def _finish(self, notification_id: int, worker: str, **values) -> bool:
        """Update a row this worker still holds; False when the claim was lost meanwhile."""
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.state == "sending",
                Notification.claimed_by == worker,
            )
            .values(claimed_by=None, claimed_until=None, **values)
        )
        return (result.rowcount or 0) > 0

    async def mark_sent(
        self,
        notification_id: int,
        worker: str,
        channel: str,
        ts: str,
        now: datetime,
        possible_duplicate: bool,
    ) -> bool:
        return await self._finish(
            notification_id,
            worker,
            state="sent",
            channel=channel,
            message_ts=ts,
            sent_at=now,
            possible_duplicate=possible_duplicate,
            last_error=None,
        )

    async def mark_retry(
        self,
        notification_id: int,
        worker: str,
        at: datetime,
        error: str,
        uncertain: bool,
        count_attempt: bool = True,
    ) -> bool:
        values = {
            "state": "pending",
            "next_attempt_at": at,
            "last_error": error[:200],
            "uncertain": uncertain,
        }
        if not count_attempt:
            values["attempts"] = Notification.attempts - 1
        return await self._finish(notification_id, worker, **values)

    async def mark_posting(
        self, notification_ids: list[int], worker: str, until: datetime
    ) -> list[int]:
        """Just before a post: mark the rows `uncertain` (from now on Slack may have them,
        whatever happens to us) and renew the lease of everything this worker holds, so a slow
        batch does not expire under it. Returns the ids of `notification_ids` still held: a row
        whose lease ran out and was taken over by another worker must not be posted here."""
        await self.session.execute(
            update(Notification)
            .where(Notification.state == "sending", Notification.claimed_by == worker)
            .values(claimed_until=until)
        )
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.id.in_(notification_ids),
                Notification.state == "sending",
                Notification.claimed_by == worker,
            )
            .values(uncertain=True)
            .returning(Notification.id)
        )
        return list(result.scalars())

    async def mark_failed(self, notification_id: int, worker: str, error: str) -> bool:
        return await self._finish(notification_id, worker, state="failed", last_error=error[:200])

    async def mark_cancelled(self, notification_id: int, worker: str) -> bool:
        return await self._finish(notification_id, worker, state="cancelled")

    async def deadlines(self, frist_ids: Iterable[int]) -> dict[int, Deadline]:
        result: dict[int, Deadline] = {}
        for batch in _chunks(set(frist_ids)):
            rows = await self.session.execute(deadlines_with_case().where(Frist.id.in_(batch)))
            result.update({row.id: deadline_of(row) for row in rows.all()})
        return result

    async def failure_channels(self, frist_id: int | None) -> list[str]:
        """The escalation channel of the deadline's enhet, if it has one."""
        if frist_id is None:
            return []
        channel = (
            await self.session.execute(
                select(Enhet.escalation_channel)
                .join(Arende, Arende.enhet_id == Enhet.id)
                .join(Frist, Frist.arende_id == Arende.id)
                .where(Frist.id == frist_id)
            )
        ).scalar()
        return [channel] if channel else []

    async def notification_detail(self, notification_id: int) -> NotificationDetail:
        """Who a notification was for (chat id or e-mail of a person) and its last error."""
        row = await self.session.get(Notification, notification_id)
        if row is None:
            return NotificationDetail("?", "?")
        recipient = row.recipient
        kind, _sep, value = recipient.partition(":")
        if kind == "person" and value.isdigit():
            person = await self.session.get(Person, int(value))
            if person is not None:
                recipient = person.name or person.email or person.chat_user_id or recipient
        return NotificationDetail(recipient, row.last_error or "?")

    async def person_chat_ids(self, person_ids: Iterable[int]) -> dict[int, ChatAddress]:
        rows = await self.session.execute(
            select(Person.id, Person.chat_user_id, Person.email).where(
                Person.id.in_(list(set(person_ids)))
            )
        )
        return {row.id: ChatAddress(row.chat_user_id, row.email) for row in rows.all()}

    async def save_chat_id(self, person_id: int, chat_user_id: str) -> None:
        await self.session.execute(
            update(Person).where(Person.id == person_id).values(chat_user_id=chat_user_id)
        )

    # ---- status ---------------------------------------------------------------------------

    async def outbox_stats(self, now: datetime, stuck_after: timedelta) -> OutboxStats:
        counts = dict(
            (
                await self.session.execute(
                    select(Notification.state, func.count()).group_by(Notification.state)
                )
            ).all()
        )
        oldest = (
            await self.session.execute(
                select(func.min(Notification.next_attempt_at)).where(
                    Notification.state.in_(["pending", "sending"])
                )
            )
        ).scalar()
        stuck = (
            await self.session.execute(
                select(func.count()).where(
                    Notification.state.in_(["pending", "sending"]),
                    Notification.next_attempt_at < now - stuck_after,
                )
            )
        ).scalar()
        return OutboxStats(counts, oldest, stuck or 0)

    async def failed_notifications(self, limit: int = 50) -> list[FailedNotification]:
        query = (
            select(
                Notification.id,
                Arende.code,
                Frist.rule_id,
                # a person by name (else e-mail, chat id), not as `person:<id>`
                func.coalesce(
                    Person.name, Person.email, Person.chat_user_id, Notification.recipient
                ),
                Notification.last_error,
                Notification.attempts,
            )
            .outerjoin(
                Person, Notification.recipient == literal("person:") + cast(Person.id, String)
            )
            .outerjoin(Frist, Frist.id == Notification.frist_id)
            .outerjoin(Arende, Arende.id == Frist.arende_id)
            .where(Notification.state == "failed")
            .order_by(Notification.id.desc())
            .limit(limit)
        )
        return [FailedNotification(*row) for row in (await self.session.execute(query)).all()]

    async def set_state(self, key: str, value: str, now: datetime) -> None:
        """One raw upsert (no read, no ORM object): every tick writes its heartbeat."""
        raw = _RawValues(self.session)
        await raw.execute(raw.sql.set_state, (key, value, raw.moment(now)))

    async def get_state(self, prefix: str) -> dict[str, StateEntry]:
        """Values whose key starts with `prefix` (LIKE, as SQLAlchemy's `startswith`)."""
        raw = _RawValues(self.session)
        rows = await raw.rows(raw.sql.get_state, (prefix + "%",))
        if raw.sqlite:
            return {key: StateEntry(value, sqlite_moment(at)) for key, value, at in rows}
        return {key: StateEntry(value, at) for key, value, at in rows}
