"""Bulk inserts on the database's own fast path, inside the session's transaction.

SQLite: one raw `executemany` of values formatted as SQLAlchemy's types would store them (a
time as naive UTC text, a date as ISO text, a flag as 0/1), each distinct time formatted once.
PostgreSQL: COPY (`asyncpg` `copy_records_to_table`) on the session's own connection.
Neither goes through SQLAlchemy's per-value type processing, which costs more than the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 10_000  # rows per executemany / COPY: bounded memory for the formatted values


def _sqlite_time(value: datetime) -> str:
    """An aware datetime as SQLite stores it through storage.types (naive UTC text)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: store aware UTC datetimes only")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Stored(dict[Any, Any]):
    """Python values -> what SQLite stores, each distinct value formatted once (most rows of
    a bulk write share their times and dates); None stays None."""

    def __init__(self, form: Callable[[Any], Any]) -> None:
        super().__init__({None: None})
        self.form = form

    def __missing__(self, value: Any) -> Any:
        stored = self[value] = self.form(value)
        return stored


async def new_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """`count` fresh primary keys of `table` (its `id` column) for rows about to be inserted
    with them, so that nothing has to be read back: on PostgreSQL from the table's sequence;
    on SQLite after the largest id, which is safe because a writing transaction holds
    SQLite's only write lock (BEGIN IMMEDIATE, storage/database.py)."""
    if count == 0:
        return []
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return [row[0] for row in rows.all()]
    largest = (await connection.exec_driver_sql(f"SELECT max(id) FROM {table}")).scalar()
    start = (largest or 0) + 1
    return list(range(start, start + count))


def _batches(rows: Iterable[Sequence[Any]]) -> Iterable[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def insert_rows(
    session: AsyncSession,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    times: Sequence[str] = (),
    dates: Sequence[str] = (),
    flags: Sequence[str] = (),
) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; the number written.
    `times`, `dates` and `flags` name the columns holding datetimes, dates and booleans."""
    connection = await session.connection()
    written = 0
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        await connection.exec_driver_sql("SELECT 1")  # the transaction has begun on the driver
        driver = raw.driver_connection
        for batch in _batches(rows):
            await driver.copy_records_to_table(table, records=batch, columns=list(columns))
            written += len(batch)
        return written
    kinds = (_Stored(_sqlite_time), _Stored(date.isoformat), _Stored(int))
    convert = [
        (columns.index(name), stored)
        for names, stored in zip((times, dates, flags), kinds, strict=True)
        for name in names
    ]
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    for batch in _batches(rows):
        formatted = []
        for row in batch:
            values = list(row)
            for index, stored in convert:
                values[index] = stored[values[index]]
            formatted.append(tuple(values))
        await connection.exec_driver_sql(statement, formatted)
        written += len(batch)
    return written
