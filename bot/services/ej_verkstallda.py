"""Ej verkställda beslut (34 kap. 1–3 §§ SoL): the quarterly report to IVO, the revisorer and
the statistikrapport to fullmäktige.

A favourable decision not carried out within three months of its day, or a verkställighet
interrupted and not resumed within three months, is reported for the quarter when it is still
unresolved on the reporting day (the quarter's last day), or was resolved during the quarter
after its three months (IVO asks for the day it was carried out or ended). Per ärendekod only,
never personal data; the reason is left for the handläggare to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from bot.domain.deadlines import CaseEvent
from bot.i18n import N_, _
from bot.ports.reports import ReportRow
from bot.services.csv_cells import csv_text

NOT_CARRIED_OUT = "ej-verkstallt-beslut"
NOT_RESUMED = "ej-aterupptaget-beslut"
RULES = (NOT_CARRIED_OUT, NOT_RESUMED)
# The decision events and the paragraph each decision is made under.
DECISIONS = {
    "beslut_bistand_fattat": "11 kap. 1 § SoL",
    "beslut_12_1_fattat": "12 kap. 1 § SoL",
}
STATUS_NAMES = {
    "open": N_("not carried out"),
    "done": N_("carried out {day}"),
    "cancelled": N_("ended {day}"),
}
QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")


@dataclass(frozen=True)
class Quarter:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> Quarter | None:
    """`2026-Q1` → 1 January – 31 March 2026; None when the text is not a quarter."""
    match = QUARTER.fullmatch(text.strip())
    if match is None:
        return None
    first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
    return Quarter(first, first + relativedelta(months=3, days=-1))


@dataclass(frozen=True)
class Entry:
    enhet: str
    code: str
    kind: str  # the paragraph of the decision ("" when its event is missing)
    decided_on: date | None
    interrupted_on: date | None
    days_without: int
    status: str  # open, done or cancelled (as on the reporting day)
    resolved_on: date | None


@dataclass(frozen=True)
class QuarterReport:
    quarter: Quarter
    entries: list[Entry]

    @property
    def not_carried_out(self) -> int:
        return sum(1 for e in self.entries if e.interrupted_on is None)

    @property
    def not_resumed(self) -> int:
        return sum(1 for e in self.entries if e.interrupted_on is not None)

    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
        return dict(sorted(counts.items()))


def _decision(events: Sequence[CaseEvent], on_or_before: date) -> CaseEvent | None:
    """The latest favourable decision on or before a day (the one carried out or interrupted)."""
    found = [e for e in events if e.type in DECISIONS and e.date <= on_or_before]
    return max(found, key=lambda e: (e.date, e.id), default=None)


def _reportable(row: ReportRow, quarter: Quarter, as_of: date) -> bool:
    if row.rule_id not in RULES or row.last_day >= as_of:
        return False  # still within its three months on the reporting day
    if row.status == "open" or row.closed_on is None:
        return True
    # Resolved: only when late, and during this quarter or after its reporting day.
    return row.closed_on > row.last_day and row.closed_on >= quarter.first


def build_quarter_report(
    rows: Iterable[ReportRow],
    events_by_code: dict[str, list[CaseEvent]],
    quarter: Quarter,
    today: date,
) -> QuarterReport:
    """The report for a quarter as on its last day (or today, while the quarter runs)."""
    as_of = min(today, quarter.last)
    entries = []
    for row in rows:
        if not _reportable(row, quarter, as_of):
            continue
        resolved = row.closed_on if row.closed_on and row.closed_on <= as_of else None
        events = events_by_code.get(row.code, [])
        decision = _decision(events, row.trigger_date)
        entries.append(
            Entry(
                enhet=row.enhet,
                code=row.code,
                kind=DECISIONS[decision.type] if decision else "",
                decided_on=decision.date if decision else None,
                interrupted_on=row.trigger_date if row.rule_id == NOT_RESUMED else None,
                days_without=((resolved or as_of) - row.trigger_date).days,
                status=row.status if resolved else "open",
                resolved_on=resolved,
            )
        )
    entries.sort(key=lambda e: (e.enhet, e.decided_on or date.min, e.code))
    return QuarterReport(quarter, entries)


def _status(entry: Entry) -> str:
    day = entry.resolved_on.isoformat() if entry.resolved_on else ""
    return _(STATUS_NAMES[entry.status]).format(day=day)


def _columns() -> list[str]:
    return [
        _("enhet"),
        _("case code"),
        _("date of decision"),
        _("kind of decision"),
        _("interrupted"),
        _("date of interruption"),
        _("days without verkställighet"),
        _("status on the reporting day"),
        _("reason (filled in by the handläggare)"),
    ]


def _cells(entry: Entry) -> list[str]:
    return [
        entry.enhet,
        entry.code,
        entry.decided_on.isoformat() if entry.decided_on else "",
        entry.kind,
        _("yes") if entry.interrupted_on else _("no"),
        entry.interrupted_on.isoformat() if entry.interrupted_on else "",
        str(entry.days_without),
        _status(entry),
        "",
    ]


def quarter_csv(report: QuarterReport) -> str:
    """One row per decision, for IVO's e-service and the revisorer."""
    return csv_text([_columns(), *(_cells(entry) for entry in report.entries)])


def quarter_markdown(report: QuarterReport) -> str:
    """The list per decision and the counts for the statistikrapport to fullmäktige."""
    label = report.quarter.label
    lines = [
        "# " + _("Ej verkställda beslut, {quarter}").format(quarter=label),
        "",
        _("Reporting day {day} (34 kap. 1–3 §§ SoL).").format(day=report.quarter.last),
        "",
        "## " + _("Statistikrapport to fullmäktige"),
        "",
        _("Decisions not carried out within three months: {n}.").format(n=report.not_carried_out),
        _("Interrupted and not resumed within three months: {n}.").format(n=report.not_resumed),
    ]
    lines += [f"- {kind or '–'}: {n}" for kind, n in report.by_kind().items()]
    lines += ["", "## " + _("Per decision"), ""]
    if not report.entries:
        lines.append(_("No decisions to report for the quarter."))
        return "\n".join(lines) + "\n"
    lines += ["| " + " | ".join(_columns()) + " |", "|---|---|---|---|---|---|---:|---|---|"]
    lines += ["| " + " | ".join(_cells(entry)) + " |" for entry in report.entries]
    return "\n".join(lines) + "\n"
