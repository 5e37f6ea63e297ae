"""What the fault tests that run `frister serve` share (no fixtures: see bot/testing/faults.py).

Each test gets a `Bench`: a database (a SQLite file, or a PostgreSQL URL), the Slack stand-in
with the people the reminders go to, a folder, and the serve processes it launched (killed at
the end). The processes run on a test clock from Monday 23 November 2026 10:00 in Stockholm,
a working day inside the sending window, whatever the real date.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import Process, Tally, clean_env, shim_env, tally
from bot.testing.seed import ESCALATION_CHANNEL, seed_due_reminders
from bot.testing.slack_standin import SlackStandIn
from storage.database import create_engine, session_factory, transaction, upgrade
from storage.models import Notification
from tests.conftest import TEST_KEY

START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Monday
PEOPLE = 20


def user_of(i: int) -> str:
    return f"U0F{i:06d}"


@dataclass
class Bench:
    url: str
    slack: SlackStandIn
    folder: Path
    engine: object = None
    started: list[Process] = field(default_factory=list)

    def launch(self, clock: ShiftedClock, **extra: str) -> Process:
        """`frister serve` in HTTP mode on port 0 (unless given), lease 5 s, INFO log."""
        settings = dict(
            FRISTER_MODE="http",
            SLACK_SIGNING_SECRET="fault-secret",
            SLACK_BOT_TOKEN=f"xoxb-fault-{len(self.started)}",
            SLACK_API_URL=self.slack.url,
            FRISTER_HTTP_PORT="0",
            FRISTER_TICK_SECONDS="5",
            FRISTER_DELIVERY_SECONDS="0.2",
            FRISTER_DELIVERY_LEASE_SECONDS="5",
            FRISTER_DATABASE_URL=self.url,
            FRISTER_PSEUDONYM_KEY=TEST_KEY,
            FRISTER_LOG_LEVEL="INFO",
        )
        env = clean_env(**(settings | extra))
        env.update(shim_env(self.folder / "shim", clock, env["PYTHONPATH"]))
        process = Process(["serve"], self.folder, env)
        self.started.append(process)
        return process

    async def seed(self, n: int) -> None:
        await seed_due_reminders(self.engine, n, due=START, user_of=user_of, people=min(n, PEOPLE))

    async def rows(self) -> list[Notification]:
        async with transaction(session_factory(self.engine)) as session:
            found = await session.execute(select(Notification).order_by(Notification.id))
            return list(found.scalars().all())

    async def all_sent(self) -> bool:
        rows = await self.rows()
        return bool(rows) and all(r.state == "sent" for r in rows)

    async def tally(self) -> Tally:
        return tally(await self.rows(), self.slack.posts)


@contextlib.asynccontextmanager
async def bench(url: str, folder: Path, *, migrate: bool = True) -> AsyncIterator[Bench]:
    """A Bench on `url` (migrated unless told not to); processes killed, engine disposed."""
    async with SlackStandIn() as slack:
        for i in range(PEOPLE):
            slack.add_user(user_of(i))
        slack.add_channel(ESCALATION_CHANNEL)
        made = Bench(url, slack, folder, create_engine(url))
        try:
            if migrate:
                await upgrade(made.engine)
            yield made
        finally:
            for process in made.started:
                if process.proc.poll() is None:
                    process.proc.kill()
                    process.proc.wait(timeout=10)
            await made.engine.dispose()


async def healthz(port: int) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)
        ) as response,
    ):
        return response.status, json.loads(await response.text())


def port_of(process: Process) -> int | None:
    """The HTTP port from the log: the running line or a line of the wait for the database."""
    import re

    for line in process.lines:
        match = re.search(r"health on http://[\d.]+:(\d+)/healthz|healthz on port (\d+)", line)
        if match:
            return int(match.group(1) or match.group(2))
    return None
