"""Egenkontroll: whether deadlines are kept, per enhet and month, for chefer and the nämnd.

A deadline counts in the month its legal last day falls in. It was kept when it was done on or
before that day; done after an extension (särskilda skäl) on or before the extended day counts
separately; anything else done later, or still open past its day, was not kept.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from os import PathLike

from dateutil.relativedelta import relativedelta

from bot.domain.deadlines import CaseEvent
from bot.domain.delegation import Restart, restarted_investigations
from bot.i18n import N_, _
from bot.ports.reports import ReportRow
from bot.services.csv_cells import csv_text

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
    """Figures for one enhet and month; "now" is the month's end, or today if earlier."""
    end = month + relativedelta(months=1)
    as_of = min(today, end - relativedelta(days=1))
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
    )


def trend(
    enhet: str, rows: Sequence[ReportRow], month: date, today: date, months: int = 12
) -> list[MonthReport]:
    return [
        build_report(enhet, rows, month - relativedelta(months=back), today)
        for back in range(months - 1, -1, -1)
    ]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)} %"


def to_csv(reports: Iterable[MonthReport]) -> str:
    """One row per enhet, month and measure: for the nämnd's spreadsheet."""
    rows: list[list[object]] = [
        [
            _("enhet"),
            _("month"),
            _("measure"),
            _("due"),
            _("kept"),
            _("kept after extension"),
            _("late"),
            _("open and overdue"),
            _("share kept"),
        ]
    ]
    for report in reports:
        month = report.month.strftime("%Y-%m")
        for group, figures in report.groups.items():
            rows.append(
                [
                    report.enhet,
                    month,
                    _(GROUP_NAMES[group]),
                    figures.due,
                    figures.kept,
                    figures.kept_extended,
                    figures.late,
                    figures.open_overdue,
                    _percent(figures.share_kept),
                ]
            )
        rows.append(
            [
                report.enhet,
                month,
                _("Open deadlines at month end"),
                report.open_now,
                "",
                "",
                "",
                report.overdue_now,
                "",
            ]
        )
        rows.append(
            [
                report.enhet,
                month,
                _("Median days to done"),
                "" if report.median_days_to_done is None else report.median_days_to_done,
                "",
                "",
                "",
                "",
                "",
            ]
        )
    return csv_text(rows)


def to_markdown(report: MonthReport) -> str:
    month = report.month.strftime("%Y-%m")
    lines = [
        "# " + _("Egenkontroll {enhet}, {month}").format(enhet=report.enhet, month=month),
        "",
        "| "
        + " | ".join(
            [
                _("Measure"),
                _("Due"),
                _("Kept"),
                _("After extension"),
                _("Late"),
                _("Open and overdue"),
                _("Share kept"),
            ]
        )
        + " |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for group, figures in report.groups.items():
        lines.append(
            f"| {_(GROUP_NAMES[group])} | {figures.due} | {figures.kept} | "
            f"{figures.kept_extended} | {figures.late} | {figures.open_overdue} | "
            f"{_percent(figures.share_kept)} |"
        )
    median = report.median_days_to_done
    lines += [
        "",
        _("Open deadlines at month end: {open}, of which overdue: {overdue}.").format(
            open=report.open_now, overdue=report.overdue_now
        ),
        _("Median days from trigger to done: {median}.").format(
            median="–" if median is None else str(median).replace(".", ",")
        ),
        "",
        "## " + _("Workload per handläggare"),
        "",
        "| " + _("Handläggare") + " | " + _("Open") + " | " + _("Overdue") + " |",
        "|---|---:|---:|",
    ]
    lines += [f"| {who} | {open_} | {late} |" for who, (open_, late) in report.workload.items()]
    if report.restarts:
        lines += ["", "## " + _("Utredningar restarted soon after closing (JO)"), ""]
        lines += [
            "- "
            + _("{code}: closed {closed}, new utredning {opened} ({days} days later)").format(
                code=code,
                closed=r.closed_on.isoformat(),
                opened=r.reopened_on.isoformat(),
                days=r.gap_days,
            )
            for code, r in report.restarts
        ]
    return "\n".join(lines) + "\n"


def to_png(reports: list[MonthReport], path: str | PathLike[str]) -> None:
    """A 12-month trend chart of the share kept, Swedish labels (matplotlib, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    months = [r.month.strftime("%Y-%m") for r in reports]
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=110)
    for group in GROUPS:
        values = [r.groups[group].share_kept for r in reports]
        axes.plot(
            months,
            [math.nan if v is None else v * 100 for v in values],  # nan: a gap in the line
            marker="o",
            label=_(GROUP_NAMES[group]),
        )
    axes.set_ylim(0, 105)
    axes.set_ylabel(_("Share kept (%)"))
    axes.set_title(_("Deadlines kept, {enhet}, last 12 months").format(enhet=reports[-1].enhet))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
