"""Async engine, sessions and migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool, SingletonThreadPool, StaticPool

from storage.faults import check_sqlite_directory

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# SQLite's page cache (KiB) for a transaction that writes many rows: an import inserts random
# keys (codes, fingerprints, hashes) into indexes, and SQLite's default 2 MiB holds too few of
# their pages. The connection gets its own size back when it returns to the pool.
BULK_CACHE_KIB = 8 * 1024
_OWN_CACHE = "frister_cache_size"  # connection info: the size to restore
# The newest migration (tests/test_migrations.py checks it is Alembic's head): a start finds
# the schema current by reading one row, without loading Alembic and every migration script.
HEAD_REVISION = "0009"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(url: str, **kwargs) -> AsyncEngine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    Bound parameters are never put into SQLAlchemy's logs or exception messages
    (`hide_parameters`): they can hold names, e-mail addresses or case codes. An SQLite file
    in a directory that does not exist raises NoDatabaseDirectory at once. PostgreSQL
    (asyncpg) sessions run with `jit=off`.
    """
    kwargs["hide_parameters"] = True
    kwargs.setdefault("pool_reset_on_return", None)  # see _reset_when_needed
    if url.startswith("sqlite"):
        check_sqlite_directory(url)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_async_engine(url, **kwargs)
        _reset_when_needed(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # Take transaction control from the driver so that every transaction starts with
            # BEGIN IMMEDIATE (SQLAlchemy's documented recipe): writers queue on the busy
            # timeout instead of failing on a lock upgrade, and a claim is atomic.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "checkin")
        def _sqlite_cache_back(dbapi_connection, record) -> None:
            size = record.info.pop(_OWN_CACHE, None)
            if size is not None and dbapi_connection is not None:
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA cache_size={int(size)}")
                cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection) -> None:
            readonly = connection.get_execution_options().get("frister_readonly", False)
            statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
            # On aiosqlite's own connection (SQLAlchemy's run_async): one trip to its thread,
            # where exec_driver_sql takes three (cursor, execute, close) on every transaction.
            connection.connection.dbapi_connection.run_async(
                lambda driver: driver.execute(statement)
            )

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql+asyncpg"):
        # No JIT compilation: its start-up cost (~10 ms) is paid by short OLTP statements
        # whose estimated cost crosses jit_above_cost on large tables (the planning tick's
        # due query at 1M deadlines), and Frister runs no long analytical queries.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args["server_settings"] = {"jit": "off", **connect_args.get("server_settings", {})}
    engine = create_async_engine(url, **kwargs)
    _reset_when_needed(engine)
    return engine


def _reset_when_needed(engine: AsyncEngine) -> None:
    """Roll a connection back on its return to the pool only when its driver says a
    transaction is open (SQLAlchemy's reset event, with pool_reset_on_return=None). A
    committed unit of work then costs no extra ROLLBACK: one trip less to aiosqlite's thread,
    one round trip less to PostgreSQL, on every transaction. Any other driver: always."""

    @event.listens_for(engine.sync_engine, "reset")
    def _reset(dbapi_connection, _record, state) -> None:
        if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
            return  # closing anyway, outside the event loop, or already ended
        if _in_transaction(dbapi_connection):
            dbapi_connection.rollback()


def _in_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection has a transaction open (True when unknown)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        return bool(driver.is_in_transaction())
    try:
        open_ = getattr(driver, "in_transaction", None)  # aiosqlite, read while it is idle
    except ValueError:  # aiosqlite: "no active connection": closed, nothing to roll back
        return False
    return open_ if isinstance(open_, bool) else True


async def bulk_cache(connection: AsyncConnection) -> None:
    """Give this SQLite connection BULK_CACHE_KIB of page cache until it is checked in."""
    if connection.dialect.name != "sqlite":
        return
    info = await connection.get_raw_connection()
    if _OWN_CACHE not in info.info:
        result = await connection.exec_driver_sql("PRAGMA cache_size")
        info.info[_OWN_CACHE] = result.scalar_one()
    await connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")


def pool_size(engine: AsyncEngine) -> int | None:
    """How many connections the engine keeps open at most without overflow: the queue pool's
    size, 1 for a pool of one shared connection, None when there is no such limit."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size()
    if isinstance(pool, StaticPool | SingletonThreadPool):
        return 1
    return None


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: committed on success, rolled back on any error."""
    async with factory() as session, session.begin():
        yield session


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revisions(connection: Connection) -> list[str]:
    """The revisions in Alembic's version table; none without the table."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return []
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


async def is_current(engine: AsyncEngine) -> bool:
    """True when the schema is at HEAD_REVISION (one read, no Alembic)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_stored_revisions) == [HEAD_REVISION]


async def upgrade_if_needed(engine: AsyncEngine) -> None:
    """`upgrade` to the head unless the schema is there already."""
    if not await is_current(engine):
        await upgrade(engine)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent), then refresh the planner's statistics."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
    await optimize(engine)


# Rows ANALYZE samples per index on SQLite: a few milliseconds whatever the database's size.
SQLITE_ANALYSIS_LIMIT = 1000


async def optimize(engine: AsyncEngine, *, bulk: bool = False) -> None:
    """Keep the query planner's statistics current: after migrations, imports and daily.

    SQLite: a sampled `ANALYZE` (`analysis_limit` rows per index: milliseconds at any size),
    then `PRAGMA optimize` (SQLite before 3.46 does not re-analyze a table that grew, so
    `PRAGMA optimize` alone would leave a freshly imported table without statistics).
    PostgreSQL: `ANALYZE` after a bulk write (`bulk`), else nothing (autovacuum's job). The
    chat queries do not depend on these statistics (tests/test_query_plans.py); others may.
    """
    if engine.dialect.name == "sqlite":
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            await connection.exec_driver_sql("ANALYZE")
            await connection.exec_driver_sql("PRAGMA optimize")
    elif bulk and engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo migrations down to `revision` ("base": an empty database)."""
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
