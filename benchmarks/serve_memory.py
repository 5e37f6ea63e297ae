"""Benchmark 6: peak resident memory of `frister serve` with 100k deadlines.

    python -m benchmarks.serve_memory [--deadlines 100000] [--backends sqlite,postgresql]

A real `frister serve` subprocess (HTTP mode; the Slack stand-in in this process) on a
database seeded with N open deadlines (see benchmarks/common.py), in two situations:

- steady: 1 % of the deadlines have a step due; the bot starts, its first planning tick plans
  them, and its delivery loop sends them all.
- after an import: every deadline waits for its first planning (next_step_at = now, as
  `frister import` leaves them), so the first tick puts all N on their ladders (in batches of
  500) and plans the due ones.

Measured: the process's resident high-water mark (VmHWM, sampled until it exits) from start,
through the first tick and `--run-seconds` of delivery (by then it has sent what is due to
the handläggare; escalations to the few chefs and the socialchef go out at Slack's pace of one
message a second per channel, which takes longer and does not change the memory), and its
resident size at the end; also the time until the first tick is done (from the log). The
subprocess's clock runs from Monday 23 November 2026 10:00 (Stockholm) so that the sending
window is open whatever the real date.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, update

from benchmarks.common import (
    BENCH_KEY,
    NOW,
    database,
    machine,
    mib,
    postgres_version,
    print_machine,
    rss,
    seed_deadlines,
    serve_clock,
    serve_env,
    staff_rows,
)
from benchmarks.delivery import Serve
from bot.testing.slack_standin import SlackStandIn
from storage.database import create_engine
from storage.models import Frist, Notification


async def measure(backend: str, n: int, situation: str, timeout: float) -> dict:
    """Run `frister serve` until every due row is sent or `timeout` seconds have passed."""
    async with database(backend) as db, SlackStandIn() as slack:
        await seed_deadlines(db, n)
        engine = create_engine(db.url)
        if situation == "after import":
            async with engine.begin() as connection:
                await connection.execute(
                    update(Frist).where(Frist.status == "open").values(next_step_at=NOW)
                )
        _units, people = staff_rows()
        for person in people:
            slack.add_user(person[1])
        for unit in _units:
            slack.add_channel(unit[2])
        with tempfile.TemporaryDirectory(prefix="frister-serve-") as folder:
            env = serve_env(
                FRISTER_MODE="http",
                SLACK_SIGNING_SECRET="bench-signing-secret",
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_API_URL=slack.url,
                FRISTER_HTTP_PORT="0",
                FRISTER_DATABASE_URL=db.url,
                FRISTER_PSEUDONYM_KEY=BENCH_KEY,
                FRISTER_DELIVERY_SECONDS="1",
                FRISTER_LOG_LEVEL="INFO",
                **serve_clock(Path(folder)),
            )
            serve = Serve(env, Path(folder))
            started = time.monotonic()
            ticked = None
            pending = -1
            try:
                while time.monotonic() - started < timeout:
                    serve.check()
                    serve.sample()
                    if ticked is None and any("Frister is running" in x for x in serve.lines):
                        ticked = time.monotonic() - started
                    async with engine.connect() as connection:
                        pending = (
                            await connection.execute(
                                select(func.count()).where(
                                    Notification.state.in_(["pending", "sending"]),
                                    Notification.next_attempt_at <= NOW,
                                )
                            )
                        ).scalar()
                    if ticked is not None and pending == 0:
                        break
                    await asyncio.sleep(0.5)
                serve.sample()
                final = rss(serve.proc.pid)
            finally:
                serve.stop()
                await engine.dispose()
        return {
            "backend": backend,
            "situation": situation,
            "deadlines": n,
            "peak": serve.peak,
            "final": final,
            "start_s": ticked,
            "seconds": time.monotonic() - started,
            "posts": len(slack.posts),
            "pending": pending,
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--run-seconds", type=float, default=90)
    args = parser.parse_args()
    backends = args.backends.split(",")
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    print(
        "| backend | situation | deadlines | peak RSS | RSS at the end | first tick done "
        "(s after start) | posts sent | ran, s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for backend in backends:
        for situation in ("steady", "after import"):
            r = await measure(backend, args.deadlines, situation, args.run_seconds)
            left = f" ({r['pending']} still due)" if r["pending"] else ""
            print(
                f"| {backend} | {situation} | {r['deadlines']:,} | {mib(r['peak'])} "
                f"| {mib(r['final'])} | {r['start_s']:.1f} | {r['posts']:,}{left} "
                f"| {r['seconds']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
