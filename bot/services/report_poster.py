"""The monthly egenkontroll, posted to each enhet's escalation channel on the first working
day of the month (through the outbox, once per enhet and month)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from bot.clock import Clock, local_today
from bot.domain.calendar import SwedishCalendar
from bot.domain.messages import Message, message_to_json
from bot.i18n import _
from bot.ports.outbox import NewNotification
from bot.ports.unit_of_work import UnitOfWork
from bot.services.reports import GROUP_NAMES, MonthReport, build_report


def first_working_day(month: date, calendar: SwedishCalendar) -> date:
    return calendar.on_or_after(month.replace(day=1))


def report_message(report: MonthReport) -> Message:
    """A month's figures as a short chat message (the CSV and PNG come from `frister report`)."""
    month = report.month.strftime("%Y-%m")
    title = _("Egenkontroll {enhet}, {month}").format(enhet=report.enhet, month=month)
    lines = []
    for group, figures in report.groups.items():
        if not figures.due:
            continue
        lines.append(
            _(
                "{measure}: {kept} of {due} on time, {extended} after extension, {late} late, "
                "{open} open and overdue."
            ).format(
                measure=_(GROUP_NAMES[group]),
                kept=figures.kept,
                due=figures.due,
                extended=figures.kept_extended,
                late=figures.late,
                open=figures.open_overdue,
            )
        )
    lines.append(
        _("Open deadlines at month end: {open}, of which overdue: {overdue}.").format(
            open=report.open_now, overdue=report.overdue_now
        )
    )
    if report.restarts:
        lines.append(
            _(
                "{n} utredningar were restarted soon after closing (a pattern JO has criticised)."
            ).format(n=len(report.restarts))
        )
    lines.append(
        _("CSV for the nämnd and a 12-month chart: frister report --month {month}.").format(
            month=month
        )
    )
    return Message(text=" ".join([title + ".", *lines]), title=title, body=tuple(lines))


class MonthlyReports:
    def __init__(
        self, unit_of_work: UnitOfWork, calendar: SwedishCalendar, clock: Clock, tz: ZoneInfo
    ) -> None:
        self.unit_of_work = unit_of_work
        self.calendar = calendar
        self.clock = clock
        self.tz = tz

    async def post_if_due(self) -> int:
        """On the first working day of a month, plan last month's report to every enhet with
        an escalation channel. Returns the number of reports planned."""
        today = local_today(self.clock, self.tz)
        if today != first_working_day(today, self.calendar):
            return 0
        month = today.replace(day=1) - relativedelta(months=1)
        now = self.clock.now()
        planned = 0
        async with self.unit_of_work() as uow:
            for unit in (await uow.outbox.units()).values():
                step = f"rapport:{unit.id}:{month.strftime('%Y-%m')}"
                channel = unit.escalation_channel
                if not channel or await uow.outbox.has_step(step):
                    continue
                report = build_report(
                    unit.name,
                    await uow.reports.report_rows(unit.name),
                    month,
                    today,
                    await uow.reports.investigation_events(unit.name),
                )
                payload = message_to_json(report_message(report))
                await uow.outbox.add_notifications(
                    [NewNotification(None, step, f"channel:{channel}", now, payload=payload)], now
                )
                planned += 1
        return planned
