"""Month-end snapshots: a month's egenkontroll figures, frozen once the month has ended.

The deadlines' rows change after a month ends (a deadline is closed or extended late, a later
import backdates an event), so figures recomputed later would change what the nämnd was told.
The first computation after the month's end (the first planning run of the new month, or a
`frister report` before it) is stored and every later report of that month reads it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.domain.deadlines import CaseEvent
from bot.domain.delegation import Restart
from bot.ports.reports import ReportRow
from bot.ports.unit_of_work import Stores
from bot.services.reports import GroupFigures, MonthReport, build_report


def snapshot_json(report: MonthReport) -> str:
    """A month's figures as stored JSON."""
    return json.dumps(
        {
            "groups": {name: asdict(figures) for name, figures in report.groups.items()},
            "open_now": report.open_now,
            "overdue_now": report.overdue_now,
            "median_days_to_done": report.median_days_to_done,
            "workload": [[who, n[0], n[1]] for who, n in report.workload.items()],
            "restarts": [
                [code, r.closed_on.isoformat(), r.reopened_on.isoformat()]
                for code, r in report.restarts
            ],
            "as_of": report.as_of.isoformat() if report.as_of else None,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def report_from_snapshot(enhet: str, month: date, text: str) -> MonthReport:
    raw: dict[str, Any] = json.loads(text)
    return MonthReport(
        enhet=enhet,
        month=month,
        groups={name: GroupFigures(**figures) for name, figures in raw["groups"].items()},
        open_now=raw["open_now"],
        overdue_now=raw["overdue_now"],
        median_days_to_done=raw["median_days_to_done"],
        workload={who: (open_, late) for who, open_, late in raw["workload"]},
        restarts=[
            (code, Restart(date.fromisoformat(closed), date.fromisoformat(reopened)))
            for code, closed, reopened in raw["restarts"]
        ],
        as_of=date.fromisoformat(raw["as_of"]) if raw.get("as_of") else None,
        final=True,
    )


class _Rows:
    """An enhet's rows and investigation events, read once for every month that needs them."""

    def __init__(self, stores: Stores, enhet: str) -> None:
        self.stores = stores
        self.enhet = enhet
        self.loaded: tuple[list[ReportRow], dict[str, list[CaseEvent]]] | None = None

    async def get(self) -> tuple[list[ReportRow], dict[str, list[CaseEvent]]]:
        if self.loaded is None:
            reports = self.stores.reports
            self.loaded = (
                await reports.report_rows(self.enhet),
                await reports.investigation_events(self.enhet),
            )
        return self.loaded


async def month_report(
    stores: Stores, enhet: str, month: date, today: date, now: datetime, rows: _Rows | None = None
) -> MonthReport:
    """An enhet's report for a month: frozen once the month has ended, live while it runs."""
    ended = today >= month + relativedelta(months=1)
    if ended:
        stored = await stores.reports.snapshot(enhet, month)
        if stored is not None:
            return report_from_snapshot(enhet, month, stored)
    deadlines, events = await (rows or _Rows(stores, enhet)).get()
    report = build_report(enhet, deadlines, month, today, events)
    if ended and report.has_data:  # an empty month is not frozen: history may still come
        await stores.reports.save_snapshot(enhet, month, snapshot_json(report), now)
    return report


async def month_trend(
    stores: Stores, enhet: str, month: date, today: date, now: datetime, months: int = 12
) -> list[MonthReport]:
    """The `months` months up to and including `month`, oldest first."""
    rows = _Rows(stores, enhet)
    return [
        await month_report(stores, enhet, month - relativedelta(months=back), today, now, rows)
        for back in range(months - 1, -1, -1)
    ]
