"""The chat queries start from the asker's cases (or enhet) and use an index, whether or not
the planner has statistics: the query plan of each, as the database reports it (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN on PostgreSQL), names the intended index.

PostgreSQL reads a table this small whole whatever its indexes, so there the plan is asked with
sequential scans off: it shows which index the query can use, and that it is not the index of
every open deadline (ix_frist_next_step).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.chat import SqlChatStore
from storage.database import optimize
from storage.models import Arende, Enhet, Frist, Handelse, Person
from storage.raw import RawSql

AT = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 23)
CASES = 4000
# The store call, and the index names (any one of them) its plan must show.
QUERIES = {
    "mine": (
        lambda s: s.deadline_items(handlaggare_ids=[3, 4], until=date(2027, 3, 1)),
        [("ix_arende_handlaggare_id",), ("ix_frist_arende_id",)],
    ),
    "unit": (
        lambda s: s.deadline_items(enhet_id=1, until=date(2027, 3, 1)),
        [("ix_arende_enhet_id",), ("ix_frist_arende_id",)],
    ),
    "case": (lambda s: s.deadline_items(case_ids=[5]), [("ix_frist_arende_id",)]),
    "case_all": (
        lambda s: s.deadline_items(case_ids=[5], open_only=False),
        [("ix_frist_arende_id",)],
    ),
    "button": (
        lambda s: s.deadline_items(frist_ids=[5], open_only=False),
        [("INTEGER PRIMARY KEY", "frist_pkey")],
    ),
    "overdue_everywhere": (
        lambda s: s.deadline_items(until=date(2026, 11, 22)),
        [("ix_frist_next_step", "ix_frist_due")],
    ),
    "mine_later": (
        lambda s: s.open_after([3, 4], date(2027, 1, 10)),
        [("ix_arende_handlaggare_id",), ("ix_frist_arende_id",)],
    ),
    "owners": (
        lambda s: s.open_per_owner(1, TODAY),
        [("ix_arende_enhet_id",), ("ix_frist_arende_id",)],
    ),
    "counts": (
        lambda s: s.counts(1, TODAY, date(2026, 10, 1)),
        [("ix_arende_enhet_id",), ("ix_frist_arende_id",)],
    ),
    "case_info": (
        lambda s: s.case_info("K0005"),
        [("sqlite_autoindex_arende_1", "arende_code_key")],
    ),
    "case_events": (lambda s: s.case_events(5), [("ix_handelse_arende_id", "uq_handelse")]),
    "standing_in_for": (
        lambda s: s.standing_in_for(3, TODAY),
        [("ix_person_substitute_id",)],
    ),
    "staff_by_chat_id": (
        lambda s: s.staff_by_chat_id("U3"),
        [("sqlite_autoindex_person_1", "person_chat_user_id_key")],
    ),
    "staff_by_ids": (
        lambda s: s.staff_by_ids([3]),
        [("INTEGER PRIMARY KEY", "person_pkey")],
    ),
    "channel_unit": (
        lambda s: s.channel_unit("C1"),
        [("sqlite_autoindex_enhet_channel_1", "enhet_channel_channel_id_key")],
    ),
}
SCOPED = {"mine", "mine_later", "unit", "case", "case_all", "button", "owners", "counts"}


async def _seed(engine) -> None:
    """10 units, 40 handläggare (5 with a substitute), 4,000 cases with one deadline each
    (one in ten closed)."""
    cases = range(1, CASES + 1)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            insert(Enhet), [{"id": u, "name": f"Enhet {u}", "created_at": AT} for u in range(1, 11)]
        )
        await session.execute(
            insert(Person),
            [
                {
                    "id": p,
                    "chat_user_id": f"U{p}",
                    "enhet_id": 1 + p % 10,
                    "substitute_id": p - 1 if p % 8 == 0 else None,
                    "created_at": AT,
                }
                for p in range(1, 41)
            ],
        )
        await session.execute(
            insert(Arende),
            [
                {
                    "id": i,
                    "code": f"K{i:04d}",
                    "enhet_id": 1 + i % 10,
                    "handlaggare_id": 1 + i % 40,
                    "opened_at": AT,
                }
                for i in cases
            ],
        )
        await session.execute(
            insert(Handelse),
            [
                {
                    "id": i,
                    "arende_id": i,
                    "type": "start",
                    "date": date(2026, 9, 1),
                    "registered_at": AT,
                }
                for i in cases
            ],
        )
        await session.execute(
            insert(Frist),
            [
                {
                    "id": i,
                    "arende_id": i,
                    "rule_id": "utredning",
                    "trigger_handelse_id": i,
                    "trigger_date": date(2026, 9, 1),
                    "calendar_last_day": date(2027, 1, i % 28 + 1),
                    "last_day": date(2027, 1, i % 28 + 1),
                    "status": "done" if i % 10 == 0 else "open",
                    "next_step_at": AT,
                    "created_at": AT,
                    "updated_at": AT,
                }
                for i in cases
            ],
        )


async def _forget_statistics(engine) -> None:
    if engine.dialect.name == "sqlite":
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
            await connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat4")
    await engine.dispose()  # no connection keeps statistics it read before


async def _plans(engine, query, monkeypatch) -> list[str]:
    """The plan of every SELECT the store call runs, one string each: those SQLAlchemy
    executes, and the raw ones storage/raw.py sends to SQLite's driver itself."""
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    raw_rows = RawSql.rows

    async def capture_raw(self: RawSql, statement: str, parameters) -> object:
        if self.sqlite:  # PostgreSQL's go through SQLAlchemy (the event above)
            statements.append((statement, tuple(parameters)))
        return await raw_rows(self, statement, parameters)

    monkeypatch.setattr(RawSql, "rows", capture_raw)
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with AsyncSession(engine) as session:
            if engine.dialect.name == "postgresql":
                await session.execute(text("SET LOCAL enable_seqscan = off"))
            await query(SqlChatStore(session))
            connection = await session.connection()
            explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            plans = []
            for statement, parameters in statements:
                rows = (await connection.exec_driver_sql(explain + statement, parameters)).all()
                plans.append(" / ".join(str(row[-1] if len(row) > 1 else row[0]) for row in rows))
            return plans
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        monkeypatch.setattr(RawSql, "rows", raw_rows)


@pytest.mark.parametrize("analyzed", [False, True], ids=["no_stats", "stats"])
async def test_chat_query_plans(engine, analyzed, monkeypatch):
    await _seed(engine)
    if analyzed:
        await optimize(engine, bulk=True)
    else:
        await _forget_statistics(engine)
    wrong = {}
    for name, (query, indexes) in QUERIES.items():
        plans = await _plans(engine, query, monkeypatch)
        assert plans, name
        plan = plans[0]
        missing = [names for names in indexes if not any(n in plan for n in names)]
        if missing or (name in SCOPED and "ix_frist_next_step" in plan):
            wrong[name] = plan
    assert wrong == {}, "\n".join(f"{k}: {v}" for k, v in wrong.items())


async def test_optimize_gives_statistics(engine):
    await _seed(engine)
    await optimize(engine, bulk=True)
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'frist'"
        else:
            query = "SELECT count(*) FROM pg_stats WHERE tablename = 'frist'"
        assert (await connection.exec_driver_sql(query)).scalar() > 0
