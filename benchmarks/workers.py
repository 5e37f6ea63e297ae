"""Benchmark 8: K in-process delivery workers drain N due outbox rows on one database.

    python -m benchmarks.workers [--rows 5000] [--workers 1,4,16] [--backends sqlite,postgresql]

The scenario of tests/test_concurrency.py at full size, timed: each worker has its own App,
engine and Slack client and posts to the Slack stand-in in this process (real HTTP, no rate
limits, no pacing), all at once. The suite checks the same scenario at up to 500 rows; this
prints how long the big run takes instead of asserting on it.

Figures: seeding time, delivery time (all workers' `run_once` side by side), rows/s, posts,
duplicates (must be 0), rows not sent (must be 0), and the rows each worker sent.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from benchmarks.common import BENCH_KEY, database, machine, postgres_version, print_machine
from bot.clock import FixedClock
from bot.config import load_settings
from bot.services.delivery import DeliveryResult
from bot.testing.seed import seed_due_reminders
from bot.testing.slack_standin import SlackStandIn
from bot.testing.workers import delivery_workers, run_round
from storage.database import create_engine
from storage.models import Notification

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm: the window is open
PEOPLE = 500
CHANNELS = [f"C0TEAM{i:03d}" for i in range(8)]
LEASE = timedelta(minutes=2)


def user_of(i: int) -> str:
    return f"U{i:08d}"


async def run(backend: str, n: int, k: int) -> dict:
    async with database(backend) as db, SlackStandIn() as slack:
        for i in range(PEOPLE):
            slack.add_user(user_of(i))
        for channel in (*CHANNELS, "C0ESKALER"):
            slack.add_channel(channel)
        engine = create_engine(db.url)
        try:
            started = time.perf_counter()
            notification_of = await seed_due_reminders(
                engine, n, due=NOW - timedelta(minutes=5), user_of=user_of, channels=CHANNELS
            )
            seeding = time.perf_counter() - started
            settings = load_settings(FRISTER_DATABASE_URL=db.url, FRISTER_PSEUDONYM_KEY=BENCH_KEY)
            clock = FixedClock(NOW)
            async with delivery_workers(
                settings, clock, slack.url, lambda: create_engine(db.url), k, lease=LEASE
            ) as crew:
                first = await run_round([w.delivery for w in crew])
            async with engine.connect() as connection:
                unsent = await connection.execute(
                    select(func.count()).where(Notification.state != "sent")
                )
                not_sent = unsent.scalar_one()
        finally:
            await engine.dispose()
    copies = Counter(
        notification_of[int(p.metadata["event_payload"]["frist"])]
        for p in slack.posts
        if p.metadata is not None
    )
    return {
        "seed": seeding,
        "deliver": first.seconds,
        "posts": len(slack.posts),
        "duplicates": sum(c - 1 for c in copies.values() if c > 1),
        "not_sent": not_sent,
        "per_worker": sorted(
            (r.sent for r in first.results if isinstance(r, DeliveryResult)), reverse=True
        ),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    print(
        "| backend | rows | workers | seed | deliver | rows/s | posts | duplicates "
        "| not sent | sent per worker |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for backend in backends:
        for k in (int(x) for x in args.workers.split(",")):
            r = await run(backend, args.rows, k)
            print(
                f"| {backend} | {args.rows:,} | {k} | {r['seed']:.2f} s | {r['deliver']:.2f} s "
                f"| {args.rows / r['deliver']:.0f} | {r['posts']:,} | {r['duplicates']} "
                f"| {r['not_sent']} | {r['per_worker']} |",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
