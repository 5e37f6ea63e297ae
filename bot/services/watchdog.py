"""Intake-silence watchdog: an alarm when an enhet's orosanmälningar stop arriving.

For each enhet, the usual rate is the number of `anmalan_inkom` events per working day over
the trailing weeks. When no anmälan has been registered for `min_days` working days while the
usual rate says at least `min_expected` should have arrived (rate × silent days; with a Poisson
inflow, zero arrivals at an expected 3 has a probability of 5 %), the chef and the admin channel
are told: once per silence, through the outbox, so the alarm itself cannot be lost. A quiet
holiday week does not count (holidays are not working days), nor does a unit with a low rate.
The same goes for the import: if it has not run for `import_every`, the admin channel is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, local_today
from bot.domain.calendar import SwedishCalendar
from bot.domain.messages import Message, message_to_json
from bot.formatting import long_date
from bot.i18n import _
from bot.ports.outbox import NewNotification
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.alarms import alarm_chefs

IMPORT_STATE = "import:last"


@dataclass(frozen=True)
class WatchdogPolicy:
    window_weeks: int = 8
    min_days: int = 2
    min_expected: float = 3.0
    import_every: timedelta | None = None


@dataclass(frozen=True)
class Silence:
    enhet_id: int
    enhet: str
    last_intake: date
    silent_days: int
    rate: float

    @property
    def expected(self) -> float:
        return self.rate * self.silent_days


def find_silences(
    intake: dict[int, dict[date, int]],
    last: dict[int, date],
    names: dict[int, str],
    today: date,
    calendar: SwedishCalendar,
    policy: WatchdogPolicy,
) -> list[Silence]:
    """Units whose inflow stopped (pure: the counts are given)."""
    start = today - timedelta(weeks=policy.window_weeks)
    window_days = calendar.working_days_between(start, today - timedelta(days=1))
    found = []
    for enhet_id, last_day in last.items():
        if window_days <= 0:
            continue
        # Working days after the last anmälan, up to and including yesterday (today's may
        # still arrive).
        silent = calendar.working_days_between(last_day, today - timedelta(days=1))
        counts = intake.get(enhet_id, {})
        # The usual rate: the window before the silence began, so the silence does not dilute it.
        active_days = window_days - silent
        arrived = sum(n for day, n in counts.items() if start < day <= last_day)
        rate = arrived / active_days if active_days > 0 else 0.0
        silence = Silence(enhet_id, names.get(enhet_id, str(enhet_id)), last_day, silent, rate)
        if silent >= policy.min_days and silence.expected >= policy.min_expected:
            found.append(silence)
    return found


class IntakeWatchdog:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        calendar: SwedishCalendar,
        clock: Clock,
        tz: ZoneInfo,
        policy: WatchdogPolicy,
        admin_channel: str | None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.calendar = calendar
        self.clock = clock
        self.tz = tz
        self.policy = policy
        self.admin_channel = admin_channel

    async def check(self) -> list[Silence]:
        """Find silences and plan their alarms (each once); returns what was found."""
        now = self.clock.now()
        today = local_today(self.clock, self.tz)
        start = today - timedelta(weeks=self.policy.window_weeks)
        async with self.unit_of_work() as uow:
            units = await uow.outbox.units()
            silences = find_silences(
                await uow.reports.intake_by_unit(start),
                await uow.reports.last_intake(),
                {enhet_id: unit.name for enhet_id, unit in units.items()},
                today,
                self.calendar,
                self.policy,
            )
            rows: list[NewNotification] = []
            for silence in silences:
                step = f"larm:intag:{silence.enhet_id}:{silence.last_intake.isoformat()}"
                planned = await alarm_chefs(
                    uow,
                    silence.enhet_id,
                    step,
                    self._silence_message(silence),
                    now,
                    today,
                    self.admin_channel,
                )
                if planned:
                    await uow.audit.append(
                        "frister",
                        "larm_inflode",
                        None,
                        {
                            "enhet": silence.enhet,
                            "senaste": silence.last_intake.isoformat(),
                            "dagar": silence.silent_days,
                            "vantat": round(silence.expected, 1),
                        },
                        now,
                    )
            rows += await self._import_alarm(uow, now)
            if rows:
                await uow.outbox.add_notifications(rows, now)
        return silences

    async def _import_alarm(self, uow: Stores, now: datetime) -> list[NewNotification]:
        if self.policy.import_every is None or not self.admin_channel:
            return []
        state = await uow.outbox.get_state(IMPORT_STATE)
        last = max((entry.updated_at for entry in state.values()), default=None)
        if last is not None and now - last <= self.policy.import_every:
            return []
        since = last.isoformat() if last else "never"
        step = f"larm:import:{since}"
        if await uow.outbox.has_step(step):
            return []
        when = long_date(last.astimezone(self.tz).date()) if last else _("never")
        message = Message(
            text=_(
                "No import has run since {when} — check the import from the case system."
            ).format(when=when),
            title=_("The import has not run"),
            body=(
                _("No import has run since {when} — check the import from the case system.").format(
                    when=when
                ),
            ),
        )
        return [
            NewNotification(
                None, step, f"channel:{self.admin_channel}", now, payload=message_to_json(message)
            )
        ]

    def _silence_message(self, silence: Silence) -> Message:
        since = long_date(silence.last_intake)
        text = _(
            "No orosanmälningar registered for {enhet} since {since} — check the e-service and "
            "the inflow."
        ).format(enhet=silence.enhet, since=since)
        detail = _("Usually about {rate} per working day; {days} working days without any.").format(
            rate=f"{silence.rate:.1f}".replace(".", ","), days=silence.silent_days
        )
        return Message(
            text=f"{text} {detail}",
            title=_("No orosanmälningar since {since}").format(since=since),
            body=(text, detail),
        )
