"""Raw statements on the driver itself, for the hot paths where SQLAlchemy's per-statement and
per-value work cost more than the query: plain tuples in, plain tuples out.

On SQLite a statement goes straight to aiosqlite's connection of the session's transaction (one
trip to its thread; through SQLAlchemy: cursor, execute, fetch, close) with no statement events
or logging; on PostgreSQL through `exec_driver_sql` (asyncpg binds dates and times itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def sqlite_moment(text: str) -> datetime:
    """A time as SQLite keeps it (naive UTC text), aware."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class RawSql:
    """Raw statements on one session's transaction, with placeholders and values for the
    driver (what SQLAlchemy's types would bind): SQLite stores a time as naive UTC text, a day
    as ISO text and a flag as 0/1; PostgreSQL takes them as they are."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sqlite = session.bind.dialect.name == "sqlite"
        self._texts: dict[datetime, str] = {}

    async def driver(self) -> Any:
        """The driver's own connection of the session's transaction (aiosqlite), begun."""
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    async def rows(self, statement: str, parameters: Sequence) -> Any:
        """All rows of a raw SELECT, as the driver returns them (tuples)."""
        if self.sqlite:
            return await (await self.driver()).execute_fetchall(statement, parameters)
        connection = await self.session.connection()
        return (await connection.exec_driver_sql(statement, tuple(parameters))).all()

    async def execute(self, statement: str, parameters: Sequence, many: bool = False) -> None:
        """A raw write (`many`: once per parameter tuple)."""
        if self.sqlite:
            connection = await self.driver()
            await (connection.executemany if many else connection.execute)(statement, parameters)
            return
        connection = await self.session.connection()
        await connection.exec_driver_sql(statement, list(parameters) if many else tuple(parameters))

    def moment(self, value: datetime | None) -> datetime | str | None:
        if value is None or not self.sqlite:
            return value
        text = self._texts.get(value)
        if text is None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: store aware UTC datetimes only")
            utc = value.astimezone(UTC)
            text = self._texts[value] = utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        return text

    def stored_day(self, value: date | str) -> date:
        """A day as the driver returns it (ISO text on SQLite), as a date."""
        return date.fromisoformat(value) if isinstance(value, str) else value

    def day(self, value: date) -> date | str:
        return value.isoformat() if self.sqlite else value

    def mark(self, i: int) -> str:
        return "?" if self.sqlite else f"${i}"

    def any_of(self, column: str, values: Sequence[object], i: int) -> str:
        """`column` among `values`, bound from mark `i` on: an IN list (SQLite), one array
        (PostgreSQL); see `ids`."""
        if self.sqlite:
            return f"{column} IN ({', '.join('?' * len(values))})"
        return f"{column} = ANY(${i})"

    def ids(self, values: list[Any]) -> tuple:
        """The parameters of `any_of`."""
        return tuple(values) if self.sqlite else (values,)

    def iso(self, value: datetime | None) -> str | None:
        """A time as ISO text with its offset (PostgreSQL's JSON parameters), formatted once."""
        if value is None:
            return None
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = value.isoformat()
        return text

    def flag(self, value: bool) -> bool | int:
        return int(value) if self.sqlite else value
