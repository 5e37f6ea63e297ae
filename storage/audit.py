"""Append-only audit rows, chained. Appends are serialised so the chain never forks:
PostgreSQL takes a transaction-scoped advisory lock; SQLite transactions begin IMMEDIATE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audit import GENESIS, AuditRecord, canonical_detail, canonical_row, chain_hash
from storage.bulk import insert_rows
from storage.models import AuditEvent
from storage.raw import RawSql

AUDIT_LOCK = 0x46524953  # "FRIS": the advisory lock key of audit appends
_COLUMNS = ("seq", "at", "actor", "action", "arende_code", "detail", "prev_hash", "hash")
_HEAD = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_INSERT = f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * 8)})"


class SqlAuditStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self,
        actor: str,
        action: str,
        code: str | None,
        detail: dict | None,
        now: datetime,
    ) -> None:
        """Append one audit row to the chain (inside the caller's transaction)."""
        await self.append_many([(actor, action, code, detail or {})], now)

    async def append_many(
        self, entries: Sequence[tuple[str, str, str | None, dict]], now: datetime
    ) -> None:
        if not entries:
            return
        raw = RawSql(self.session)
        if not raw.sqlite:
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK}
            )
        last = await raw.rows(_HEAD, ())
        seq, prev = last[0] if last else (0, GENESIS)
        rows = []
        for actor, action, code, detail in entries:
            seq += 1
            # The detail is stored as the chain encodes it: encoded once (older rows hold
            # another JSON spacing; verify re-encodes the parsed detail, so both check).
            encoded = canonical_detail(detail)
            digest = chain_hash(prev, canonical_row(seq, now, actor, action, code, encoded))
            rows.append((seq, now, actor, action, code, encoded, prev, digest))
            prev = digest
        if raw.sqlite:  # one executemany straight on the driver
            at = raw.moment(now)
            await raw.execute(_INSERT, [(row[0], at, *row[2:]) for row in rows], many=True)
            return
        await insert_rows(
            self.session,
            "audit_event",
            _COLUMNS,
            rows,
            times=("at",),
        )

    async def records(self, batch: int = 5000) -> AsyncIterator[AuditRecord]:
        """Every audit row in sequence order, read in batches."""
        after = 0
        while True:
            rows = (
                (
                    await self.session.execute(
                        select(AuditEvent)
                        .where(AuditEvent.seq > after)
                        .order_by(AuditEvent.seq)
                        .limit(batch)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            for row in rows:
                yield AuditRecord(
                    row.seq,
                    row.at,
                    row.actor,
                    row.action,
                    row.arende_code,
                    json.loads(row.detail),
                    row.prev_hash,
                    row.hash,
                )
            after = rows[-1].seq

    async def head(self) -> tuple[int, str]:
        row = (
            await self.session.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            )
        ).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    async def count(self) -> int:
        return (await self.session.execute(select(func.count()).select_from(AuditEvent))).scalar()
