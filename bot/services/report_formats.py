"""The egenkontroll as text: CSV for the nämnd's spreadsheet and markdown for reading.

CSV is written for Excel with Swedish settings: `;` between cells and `,` as the decimal
separator (Excel in Swedish reads `33,3` as a number and `33.3` as text), numbers as bare
numbers, empty cells empty. The measure table comes first; the month's summary is a second
table after one empty row. Every cell goes through bot/services/csv_cells.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from dateutil.relativedelta import relativedelta

from bot.formatting import day_month_year, month_name
from bot.i18n import _
from bot.services.csv_cells import csv_text
from bot.services.reports import GROUP_NAMES, MonthReport


def decimal(value: float | None, digits: int = 1) -> str:
    """`33,3`: a number with a Swedish decimal comma; empty for no value."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",")


def share_percent(report: MonthReport, group: str) -> float | None:
    share = report.groups[group].share_kept
    return None if share is None else share * 100


def measure_headers(share: str = "") -> list[str]:
    return [
        _("Deadlines due in the month"),
        _("Kept"),
        _("Kept after a decided extension"),
        _("Late"),
        _("Not done, last day passed"),
        share or _("Share kept (%)"),
    ]


def to_csv(reports: Iterable[MonthReport]) -> str:
    """The measure table (one row per enhet, month and measure), then the month summary."""
    reports = list(reports)
    measures: list[list[object]] = [
        [_("enhet"), _("month"), _("measure"), *(h.lower() for h in measure_headers())]
    ]
    summary: list[list[object]] = [
        [
            _("enhet"),
            _("month"),
            _("open deadlines at month end"),
            _("of which last day passed"),
            _("median days to done"),
            _("figures"),
        ]
    ]
    for report in reports:
        month = report.month.strftime("%Y-%m")
        for group, figures in report.groups.items():
            measures.append(
                [
                    report.enhet,
                    month,
                    _(GROUP_NAMES[group]),
                    figures.due,
                    figures.kept,
                    figures.kept_extended,
                    figures.late,
                    figures.open_overdue,
                    decimal(share_percent(report, group)),
                ]
            )
        summary.append(
            [
                report.enhet,
                month,
                report.open_now,
                report.overdue_now,
                decimal(report.median_days_to_done),
                _("frozen at month end") if report.final else _("preliminary"),
            ]
        )
    return csv_text([*measures, [], *summary])


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{decimal(value, 0)} %"


def footnote(report: MonthReport) -> list[str]:
    """What the figures mean: the period, "i tid", and where they come from."""
    first = report.month
    last = first + relativedelta(months=1, days=-1)
    lines = [
        "## " + _("How to read the table"),
        "",
        "- "
        + _(
            "Period: {first}–{last}. A deadline counts in the month its legal last day "
            "falls in (days counted as lag (1930:173) says)."
        ).format(first=first.day, last=day_month_year(last)),
        "- "
        + _(
            "Kept: marked done on or before the legal last day. Kept after a decided "
            "extension: done later, but by the day a decided extension (särskilda skäl) gave. "
            "Late: done after that. Not done, last day passed: not marked done at the month's "
            "end. Share kept: kept divided by the deadlines due; – when none was due."
        ),
        "- "
        + _(
            "LVU: an underställning to the förvaltningsrätt within one week (7, 28 and 31 e §§ "
            "LVU); the application to the court within four weeks (8 and 31 f §§), two weeks "
            "after a tillfälligt flyttningsförbud (29 §)."
        ),
        "- "
        + _(
            "Source: Frister's database (events imported from the verksamhetssystem and "
            "registered in chat)."
        )
        + " "
        + (
            _("The figures were frozen at the month's end; later events do not change them.")
            if report.final
            else _("Preliminary: the month is not over; the figures are as of {day}.").format(
                day=day_month_year(report.as_of or first)
            )
        ),
    ]
    return lines


def to_markdown(report: MonthReport) -> str:
    title = _("Egenkontroll {enhet}, {month}").format(
        enhet=report.enhet, month=month_name(report.month)
    )
    lines = [
        "# " + title,
        "",
        "| " + " | ".join([_("Measure"), *measure_headers(_("Share kept"))]) + " |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for group, figures in report.groups.items():
        lines.append(
            f"| {_(GROUP_NAMES[group])} | {figures.due} | {figures.kept} | "
            f"{figures.kept_extended} | {figures.late} | {figures.open_overdue} | "
            f"{_cell(share_percent(report, group))} |"
        )
    median = report.median_days_to_done
    as_of = report.as_of or report.month
    lines += [
        "",
        _("Open deadlines on {day}: {open}, of which {overdue} with the last day passed.").format(
            day=day_month_year(as_of), open=report.open_now, overdue=report.overdue_now
        ),
        _("Median days from the event to done, for deadlines done in the month: {median}.").format(
            median="–" if median is None else decimal(median)
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
    lines += ["", *footnote(report)]
    return "\n".join(lines) + "\n"
