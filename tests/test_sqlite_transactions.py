"""SQLite transactions on aiosqlite (storage/database.py): a read-only unit of work reads one
snapshot, and a connection goes back to the pool outside any transaction, rolled back only
when SQLite says one is still open."""

from __future__ import annotations

from sqlalchemy import text

from storage.database import create_engine, session_factory
from storage.unit_of_work import SqlUnitOfWork


def _engine(tmp_path):
    return create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", pool_size=1)


async def _driver(session):
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def test_a_read_only_unit_of_work_reads_one_snapshot(tmp_path):
    engine = _engine(tmp_path)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        other = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
        uow = SqlUnitOfWork(session_factory(engine))
        async with uow(readonly=True) as stores:
            session = stores.chat.session
            read = "SELECT count(*) FROM t"
            assert (await session.execute(text(read))).scalar() == 1
            assert (await _driver(session)).in_transaction
            async with other.begin() as connection:  # a writer beside it does not wait
                await connection.execute(text("INSERT INTO t VALUES (2)"))
            assert (await session.execute(text(read))).scalar() == 1
        async with uow(readonly=True) as stores:
            assert (await stores.chat.session.execute(text(read))).scalar() == 2
        await other.dispose()
    finally:
        await engine.dispose()


async def test_a_connection_returns_outside_any_transaction(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    try:
        rollbacks = []
        adapted = type(await _adapted(engine))
        original = adapted.rollback
        monkeypatch.setattr(adapted, "rollback", lambda self: rollbacks.append(1) or original(self))
        async with engine.begin() as connection:  # committed: no rollback on return
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        assert rollbacks == []
        async with engine.connect() as connection:  # a transaction SQLAlchemy does not know
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("BEGIN")
            await raw.driver_connection.execute("INSERT INTO t VALUES (1)")
        assert rollbacks == [1]
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert not raw.driver_connection.in_transaction
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await engine.dispose()


async def _adapted(engine):
    async with engine.connect() as connection:
        return (await connection.get_raw_connection()).dbapi_connection
