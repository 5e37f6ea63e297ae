"""The monthly egenkontroll, posted to each enhet's escalation channel on the first working
day of the month (through the outbox, once per enhet and month)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from bot.clock import Clock, local_today
from bot.domain.calendar import SwedishCalendar
from bot.domain.messages import Image, Message, message_to_json
from bot.formatting import month_name
from bot.i18n import _
from bot.ports.outbox import NewNotification
from bot.ports.unit_of_work import UnitOfWork
from bot.services.report_chart import png_bytes
from bot.services.report_snapshots import month_report, month_trend
from bot.services.reports import GROUP_NAMES, MonthReport


def first_working_day(month: date, calendar: SwedishCalendar) -> date:
    return calendar.on_or_after(month.replace(day=1))


def chart_image(trend: list[MonthReport]) -> Image:
    """The 12-month chart that goes with the monthly post."""
    last = trend[-1]
    return Image(
        data=png_bytes(trend, compact=True),
        filename=f"egenkontroll-{last.month.strftime('%Y-%m')}.png",
        alt=_("Share of deadlines kept per month, {enhet}, the last 12 months.").format(
            enhet=last.enhet
        ),
    )


def report_message(report: MonthReport, image: Image | None = None) -> Message:
    """A month's figures as a short chat message, with the 12-month chart when given."""
    month = report.month.strftime("%Y-%m")
    title = _("Egenkontroll {enhet}, {month}").format(
        enhet=report.enhet, month=month_name(report.month)
    )
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
    return Message(
        text=" ".join([title + ".", *lines]), title=title, body=tuple(lines), image=image
    )


class MonthlyReports:
    def __init__(
        self, unit_of_work: UnitOfWork, calendar: SwedishCalendar, clock: Clock, tz: ZoneInfo
    ) -> None:
        self.unit_of_work = unit_of_work
        self.calendar = calendar
        self.clock = clock
        self.tz = tz
        self._frozen: date | None = None  # the month whose figures this process has frozen

    async def post_if_due(self) -> int:
        """On the first working day of a month, plan last month's report to every enhet with
        an escalation channel. Returns the number of reports planned."""
        today = local_today(self.clock, self.tz)
        month = today.replace(day=1) - relativedelta(months=1)
        now = self.clock.now()
        if self._frozen != month:  # the first run of a month freezes last month's figures
            async with self.unit_of_work() as uow:
                for unit in (await uow.outbox.units()).values():
                    await month_report(uow, unit.name, month, today, now)
            self._frozen = month
        if today != first_working_day(today, self.calendar):
            return 0
        planned = 0
        async with self.unit_of_work() as uow:
            for unit in (await uow.outbox.units()).values():
                step = f"rapport:{unit.id}:{month.strftime('%Y-%m')}"
                channel = unit.escalation_channel
                if not channel or await uow.outbox.has_step(step):
                    continue
                trend = await month_trend(uow, unit.name, month, today, now)
                image = chart_image(trend) if any(r.has_data for r in trend) else None
                payload = message_to_json(report_message(trend[-1], image))
                await uow.outbox.add_notifications(
                    [NewNotification(None, step, f"channel:{channel}", now, payload=payload)], now
                )
                planned += 1
        return planned
