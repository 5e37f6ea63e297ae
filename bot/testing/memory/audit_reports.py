"""AuditStore and ReportStore over the in-memory data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from bot.domain.audit import GENESIS, AuditRecord, canonical, canonical_detail, chain_hash
from bot.domain.deadlines import CaseEvent
from bot.ports.audit import AuditEntry
from bot.ports.reports import ReportRow
from bot.testing.memory.data import Case, Data


class MemoryAuditStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    async def append(
        self,
        actor: str,
        action: str,
        code: str | None,
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        await self.append_many([(actor, action, code, detail or {})], now)

    async def append_many(self, entries: Sequence[AuditEntry], now: datetime) -> None:
        seq, prev = await self.head()
        for actor, action, code, detail in entries:
            seq += 1
            stored = json.loads(canonical_detail(detail))  # as the database gives it back
            digest = chain_hash(prev, canonical(seq, now, actor, action, code, stored))
            self.data.audit.append(AuditRecord(seq, now, actor, action, code, stored, prev, digest))
            prev = digest

    async def records(self, batch: int = 5000) -> AsyncIterator[AuditRecord]:
        for record in list(self.data.audit):
            yield record

    async def head(self) -> tuple[int, str]:
        last = self.data.audit[-1] if self.data.audit else None
        return (last.seq, last.hash) if last else (0, GENESIS)

    async def count(self) -> int:
        return len(self.data.audit)


class MemoryReportStore:
    def __init__(self, data: Data) -> None:
        self.data = data

    def _cases_of(self, enhet: str | None) -> list[Case]:
        return [
            c
            for c in self.data.cases.values()
            if enhet is None or self.data.unit_name(c.enhet_id) == enhet
        ]

    async def report_rows(self, enhet: str | None = None) -> list[ReportRow]:
        cases = {c.id: c for c in self._cases_of(enhet)}
        rows = []
        for f in self.data.deadlines.values():
            case = cases.get(f.case_id)
            if case is None:
                continue
            owner = self.data.staff.get(case.handlaggare_id) if case.handlaggare_id else None
            rows.append(
                ReportRow(
                    self.data.unit_name(case.enhet_id) or "",
                    case.code,
                    f.rule_id,
                    f.trigger_date,
                    f.last_day,
                    f.extended_to,
                    f.status.value,
                    f.closed_on,
                    (owner.chat_user_id or owner.email) if owner else None,
                )
            )
        return rows

    async def investigation_events(self, enhet: str | None = None) -> dict[str, list[CaseEvent]]:
        kinds = ("utredning_inledd", "utredning_avslutad", "utredning_nedlagd")
        cases = {c.id: c for c in self._cases_of(enhet)}
        result: dict[str, list[CaseEvent]] = {}
        for e in self.data.events.values():
            if e.case_id in cases and e.type in kinds:
                result.setdefault(cases[e.case_id].code, []).append(CaseEvent(e.id, e.type, e.date))
        return result

    async def unit_names(self) -> list[str]:
        return sorted(u.name for u in self.data.units.values())

    async def snapshot(self, enhet: str, month: date) -> str | None:
        return self.data.snapshots.get((enhet, month))

    async def save_snapshot(self, enhet: str, month: date, figures: str, now: datetime) -> None:
        if enhet in {u.name for u in self.data.units.values()}:
            self.data.snapshots.setdefault((enhet, month), figures)

    async def intake_by_unit(self, since: date) -> dict[int, dict[date, int]]:
        result: dict[int, dict[date, int]] = {}
        for e in self.data.events.values():
            if e.type == "anmalan_inkom" and e.date >= since:
                per_day = result.setdefault(self.data.cases[e.case_id].enhet_id, {})
                per_day[e.date] = per_day.get(e.date, 0) + 1
        return result

    async def last_intake(self) -> dict[int, date]:
        result: dict[int, date] = {}
        for e in self.data.events.values():
            if e.type == "anmalan_inkom":
                enhet_id = self.data.cases[e.case_id].enhet_id
                result[enhet_id] = max(e.date, result.get(enhet_id, e.date))
        return result


# ---- the unit of work -------------------------------------------------------------------------
