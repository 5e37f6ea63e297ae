"""Self-audit: is the planner ticking, is anything stuck in the outbox, can we still send?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.ports.unit_of_work import UnitOfWork
from bot.services.answer_pool import STATE_PREFIX, AnswerCounts

FATAL_ERRORS = ("invalid_auth", "not_authed", "token_revoked", "account_inactive_bot")


@dataclass
class Health:
    ok: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": self.checks}


class SelfAudit:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        clock: Clock,
        tick_interval: timedelta,
        stuck_after: timedelta = timedelta(minutes=15),
        answers: Callable[[], AnswerCounts] | None = None,
    ) -> None:
        """`answers`: this process's live answer counts (`frister serve`); without it the
        counts the running processes recorded at their last ticks are summed."""
        self.unit_of_work = unit_of_work
        self.clock = clock
        self.tick_interval = tick_interval
        self.stuck_after = stuck_after
        self.answers = answers

    async def check(self) -> Health:
        now = self.clock.now()
        async with self.unit_of_work() as uow:
            stats = await uow.outbox.outbox_stats(now, self.stuck_after)
            ticks = await uow.outbox.get_state("planner:last_tick")
            failed = await uow.outbox.failed_notifications(limit=20)
            reported = await uow.outbox.get_state(STATE_PREFIX) if self.answers is None else {}
        last_tick = max((entry.updated_at for entry in ticks.values()), default=None)
        ticking = last_tick is not None and now - last_tick <= 3 * self.tick_interval
        fatal = [row for row in failed if (row.error or "").startswith(FATAL_ERRORS)]
        checks: dict[str, dict[str, Any]] = {
            "scheduler": {
                "ok": ticking,
                "last_tick": last_tick.isoformat() if last_tick else None,
            },
            "outbox": {
                "ok": stats.stuck == 0,
                "pending": stats.count("pending") + stats.count("sending"),
                "stuck": stats.stuck,
                "oldest_due": stats.oldest_due.isoformat() if stats.oldest_due else None,
            },
            "delivery": {
                "ok": not fatal,
                "failed": stats.count("failed"),
                "fatal": [row.error for row in fatal][:3],
            },
        }
        if self.answers is not None:
            answers = self.answers()
        else:  # processes that reported within the last ticks
            live = [e for e in reported.values() if now - e.updated_at <= 3 * self.tick_interval]
            answers = sum((AnswerCounts.from_json(e.value) for e in live), AnswerCounts())
        # Shedding is how overload is survived, not a fault: informative only.
        checks["answers"] = {"ok": True, **answers.as_json()}
        return Health(all(check["ok"] for check in checks.values()), checks)
