"""The egenkontroll's workload section: per handläggare (by name) at the month's end, and a
12-month trend of open utredningar per handläggare (markdown, from the report rows)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from dateutil.relativedelta import relativedelta

from bot.domain.staff import StaffMember
from bot.domain.workload import UTREDNING_RULES, person_name
from bot.i18n import _
from bot.ports.reports import ReportRow

TREND_MONTHS = 12


def report_names(staff: Sequence[StaffMember]) -> dict[str, str]:
    """Names by the handle the report rows carry (chat id, else e-mail)."""
    names: dict[str, str] = {}
    for member in staff:
        for handle in (member.chat_user_id, member.email):
            if handle:
                names[handle] = person_name(member)
    return names


def _month_end(month: date, today: date) -> date:
    return min(today, month + relativedelta(months=1) - relativedelta(days=1))


def _open_on(row: ReportRow, day: date) -> bool:
    if row.status == "cancelled" and (row.closed_on is None or row.closed_on <= day):
        return False
    return row.trigger_date <= day and (
        row.status == "open" or (row.closed_on is not None and row.closed_on > day)
    )


def _name(handle: str | None, names: Mapping[str, str], unknown: dict[str, str]) -> str:
    """A name, never a chat id: from `names`, else a numbered handläggare."""
    if handle is None:
        return _("no handläggare")
    if handle in names:
        return names[handle]
    return unknown.setdefault(handle, _("Handläggare {n}").format(n=len(unknown) + 1))


def workload_section(
    rows: Sequence[ReportRow], month: date, today: date, names: Mapping[str, str]
) -> list[str]:
    """Markdown lines: the month-end table and the 12-month trend of open utredningar."""
    unknown: dict[str, str] = {}
    end = _month_end(month, today)
    open_rows = [r for r in rows if _open_on(r, end)]
    per: dict[str, list[int]] = {}
    for r in open_rows:
        figures = per.setdefault(_name(r.handlaggare, names, unknown), [0, 0, 0])
        figures[0] += r.rule_id in UTREDNING_RULES
        figures[1] += 1
        figures[2] += (r.extended_to or r.last_day) < end
    lines = [
        "",
        "## " + _("Workload per handläggare at month end ({day})").format(day=end.isoformat()),
        "",
        "| "
        + " | ".join([_("Handläggare"), _("Open utredningar"), _("Open deadlines"), _("Overdue")])
        + " |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {who} | {u} | {o} | {late} |" for who, (u, o, late) in sorted(per.items())]
    months = [month - relativedelta(months=back) for back in range(TREND_MONTHS - 1, -1, -1)]
    trend: dict[str, Counter[date]] = {}
    for first in months:
        day = _month_end(first, today)
        for r in rows:
            if r.rule_id in UTREDNING_RULES and _open_on(r, day):
                trend.setdefault(_name(r.handlaggare, names, unknown), Counter())[first] += 1
    lines += [
        "",
        "## " + _("Open utredningar per handläggare, last 12 months"),
        "",
        "| " + _("Handläggare") + " | " + " | ".join(m.strftime("%Y-%m") for m in months) + " |",
        "|---|" + "---:|" * len(months),
    ]
    lines += [
        f"| {who} | " + " | ".join(str(counts[m]) for m in months) + " |"
        for who, counts in sorted(trend.items())
    ]
    return lines
