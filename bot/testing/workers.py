"""In-process delivery workers on one database: what several bot processes would be, each
with its own App, engine and Slack client, posting to the Slack stand-in over real HTTP.

Pacing waits move the given test clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.services.delivery import Delivery, DeliveryPolicy, DeliveryResult
from handlers.slack.messenger import SlackMessenger, make_client


@dataclass
class Worker:
    app: App
    delivery: Delivery
    messenger: Any  # SlackMessenger, or what `wrap` made of it


@dataclass
class Round:
    """One `run_once` of every worker, side by side."""

    results: list[DeliveryResult | BaseException]
    seconds: float

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results if isinstance(r, DeliveryResult))


@contextlib.asynccontextmanager
async def delivery_workers(
    settings: Settings,
    clock: FixedClock,
    slack_url: str,
    new_engine: Callable[[], AsyncEngine],
    k: int,
    *,
    lease: timedelta,
    wrap: Callable[[int, SlackMessenger], Any] | None = None,
) -> AsyncIterator[list[Worker]]:
    """K workers named w0..w(k-1), no pacing, the given lease; each gets an engine from
    `new_engine` (disposed afterwards). `wrap(i, messenger)` may replace a worker's messenger."""

    async def sleep(seconds: float) -> None:  # pacing moves the test clock, never sleeps
        clock.advance(timedelta(seconds=seconds))

    made: list[Worker] = []
    try:
        for i in range(k):
            app = App(settings, clock=clock, engine_override=new_engine())
            messenger: Any = SlackMessenger(make_client(f"xoxb-w{i}", slack_url, timeout=60))
            if wrap is not None:
                messenger = wrap(i, messenger)
            delivery = app.delivery(
                messenger, worker=f"w{i}", sleep=sleep, policy=DeliveryPolicy(pace=0, lease=lease)
            )
            made.append(Worker(app, delivery, messenger))
        yield made
    finally:
        for worker in made:
            await worker.app.engine.dispose()


async def run_round(deliveries: list[Delivery]) -> Round:
    """Every delivery's `run_once` at the same time; their results and the wall time."""
    start = time.perf_counter()
    results = await asyncio.gather(*(d.run_once() for d in deliveries))
    return Round(list(results), time.perf_counter() - start)
