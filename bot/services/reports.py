"""Egenkontroll: whether deadlines are kept, per enhet and month, for chefer and the nämnd.

A deadline counts in the month its legal last day falls in. It was kept when it was done on or
before that day; done after an extension (särskilda skäl) on or before the extended day counts
separately; anything else done later, or still open past its day, was not kept. Figures are
computed as of the month's last day; once the month has ended they are frozen
(bot/services/report_snapshots.py), so a rerun gives the same figures. The formats are in
bot/services/report_formats.py and bot/services/report_chart.py.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta

from bot.domain.deadlines import CaseEvent
from bot.domain.delegation import Restart, restarted_investigations
from bot.i18n import N_
from bot.ports.reports import ReportRow

# Rule groups the supervisory findings asked about.
GROUPS = {
    "forhandsbedomning": ("forhandsbedomning",),
    "utredning": ("utredning",),
    "overvagande": ("overvagande", "lvu-overvagande", "lvu-provning", "lvu-umgange"),
    # LVU 7 §, 28 § and 31 e §: a decision to the förvaltningsrätt within one week.
    "lvu_understallning": (
        "lvu-understallning",
        "lvu-tillfalligt-flyttningsforbud",
        "lvu-tillfalligt-utreseforbud",
    ),
    # LVU 8 § and 31 f § (four weeks), 29 § (two weeks): the application to the court.
    "lvu_ansokan": ("lvu-ansokan", "lvu-utreseforbud-ansokan", "lvu-flyttningsforbud-ansokan"),
}
GROUP_NAMES = {
    "forhandsbedomning": N_("Förhandsbedömningar within 14 days"),
    "utredning": N_("Utredningar within 4 months"),
    "overvagande": N_("Överväganden on time"),
    "lvu_understallning": N_("LVU underställningar within one week"),
    "lvu_ansokan": N_("LVU applications to the court on time"),
}


@dataclass
class GroupFigures:
    due: int = 0
    kept: int = 0
    kept_extended: int = 0
    late: int = 0
    open_overdue: int = 0

    @property
    def share_kept(self) -> float | None:
        return self.kept / self.due if self.due else None


@dataclass
class MonthReport:
    enhet: str
    month: date  # first day of the month
    groups: dict[str, GroupFigures]
    open_now: int
    overdue_now: int
    median_days_to_done: float | None
    workload: dict[str, tuple[int, int]]  # handläggare -> (open, overdue)
    restarts: list[tuple[str, Restart]] = field(default_factory=list)
    as_of: date | None = None  # the day the open figures describe (the month's last day)
    final: bool = False  # the month had ended: the figures are frozen

    @property
    def has_data(self) -> bool:
        return bool(self.open_now or any(g.due for g in self.groups.values()))


def month_start(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def _group_of(rule_id: str) -> str | None:
    return next((g for g, rules in GROUPS.items() if rule_id in rules), None)


def build_report(
    enhet: str,
    rows: Sequence[ReportRow],
    month: date,
    today: date,
    events_by_code: dict[str, list[CaseEvent]] | None = None,
) -> MonthReport:
    """Figures for one enhet and month; "now" is the month's last day, or today if earlier."""
    end = month + relativedelta(months=1)
    last = end - relativedelta(days=1)
    as_of = min(today, last)
    groups = {name: GroupFigures() for name in GROUPS}
    for row in rows:
        group = _group_of(row.rule_id)
        if group is None or not (month <= row.last_day < end) or row.status == "cancelled":
            continue
        figures = groups[group]
        figures.due += 1
        if row.closed_on is not None and row.status == "done":
            if row.closed_on <= row.last_day:
                figures.kept += 1
            elif row.extended_to and row.closed_on <= row.extended_to:
                figures.kept_extended += 1
            else:
                figures.late += 1
        elif row.last_day < as_of:
            figures.open_overdue += 1
    open_rows = [
        r
        for r in rows
        if r.trigger_date <= as_of and (r.status == "open" or (r.closed_on and r.closed_on > as_of))
    ]
    overdue = [r for r in open_rows if (r.extended_to or r.last_day) < as_of]
    durations = [
        (r.closed_on - r.trigger_date).days
        for r in rows
        if r.status == "done" and r.closed_on and month <= r.closed_on < end
    ]
    workload: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in open_rows:
        workload[r.handlaggare or "-"][0] += 1
    for r in overdue:
        workload[r.handlaggare or "-"][1] += 1
    restarts = [
        (code, restart)
        for code, events in (events_by_code or {}).items()
        for restart in restarted_investigations(events)
        if month <= restart.reopened_on < end
    ]
    return MonthReport(
        enhet=enhet,
        month=month,
        groups=groups,
        open_now=len(open_rows),
        overdue_now=len(overdue),
        median_days_to_done=statistics.median(durations) if durations else None,
        workload={k: (v[0], v[1]) for k, v in sorted(workload.items())},
        restarts=restarts,
        as_of=as_of,
        final=today > last,
    )


def trend(
    enhet: str, rows: Sequence[ReportRow], month: date, today: date, months: int = 12
) -> list[MonthReport]:
    return [
        build_report(enhet, rows, month - relativedelta(months=back), today)
        for back in range(months - 1, -1, -1)
    ]
