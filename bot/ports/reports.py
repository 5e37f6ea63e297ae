"""The report store port: the statistics the egenkontroll reports and the intake watchdog
read (storage/reports.py implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.domain.deadlines import CaseEvent


@dataclass(frozen=True)
class ReportRow:
    enhet: str
    code: str
    rule_id: str
    trigger_date: date
    last_day: date
    extended_to: date | None
    status: str
    closed_on: date | None
    handlaggare: str | None


class ReportStore(Protocol):
    async def report_rows(self, enhet: str | None = None) -> list[ReportRow]: ...

    async def investigation_events(
        self, enhet: str | None = None
    ) -> dict[str, list[CaseEvent]]: ...

    async def unit_names(self) -> list[str]: ...

    async def snapshot(self, enhet: str, month: date) -> str | None:
        """The figures frozen for an enhet and month (JSON), if any."""
        ...

    async def save_snapshot(self, enhet: str, month: date, figures: str, now: datetime) -> None:
        """Freeze an enhet's figures for a month; an existing snapshot is kept as it is."""
        ...

    async def intake_by_unit(self, since: date) -> dict[int, dict[date, int]]:
        """Orosanmälningar (anmalan_inkom events) per enhet and day, from `since` on."""
        ...

    async def last_intake(self) -> dict[int, date]:
        """The latest orosanmälan per enhet (any time)."""
        ...
