"""Benchmark 1: the planning tick with 10k, 100k and 1M open deadlines, about 1 % due.

    python -m benchmarks.planning [--sizes 10000,100000,1000000] [--backends sqlite,postgresql]

For each backend and size: a fresh database seeded in bulk (see benchmarks/common.py) with
open `utredning` deadlines, one in 100 due now (its first reminder is today at 08:00), then
Frister's real Planner (bot/services/planner.py, through the App) at a fixed time:

- tick, 1 % due: the tick that plans every due deadline (one outbox row each). Repeated
  after resetting those deadlines (next_step_at back, outbox emptied); median of the runs.
- tick, 100 due: the same with exactly 100 due deadlines at every size.
- idle tick: nothing due (the index probe and the heartbeat row only).
- peak memory of the 1 % tick: the process's resident high-water mark during the tick minus
  its resident size before it (Linux clear_refs), and tracemalloc's peak of Python objects
  allocated during the tick (measured in a separate run: tracemalloc slows everything).

What the figures should show: the cost follows what is due (the 100-due and idle rows stay
flat from 10k to 1M stored deadlines), not what is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import tracemalloc

from sqlalchemy import bindparam, select

from benchmarks.common import (
    BENCH_KEY,
    NOW,
    database,
    machine,
    mib,
    peak_rss,
    postgres_version,
    print_machine,
    reset_peak,
    rss,
    seed_deadlines,
)
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import load_settings
from storage.database import create_engine
from storage.models import Frist, Notification

DUE_EVERY = 100


class Due:
    """The deadlines due at NOW, and how to make them (or the first `limit`) due again."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.rows: list[tuple[int, object]] = []

    async def snapshot(self) -> None:
        frist = Frist.__table__
        async with self.engine.connect() as connection:
            result = await connection.execute(
                select(frist.c.id, frist.c.next_step_at)
                .where(frist.c.status == "open", frist.c.next_step_at <= NOW)
                .order_by(frist.c.id)
            )
            self.rows = [tuple(r) for r in result.all()]

    async def restore(self, limit: int | None = None) -> None:
        """Undo the measured tick: its outbox rows go, next_step_at comes back."""
        frist, notification = Frist.__table__, Notification.__table__
        rows = self.rows if limit is None else self.rows[:limit]
        async with self.engine.begin() as connection:
            await connection.execute(notification.delete().where(notification.c.created_at >= NOW))
            await connection.execute(
                frist.update()
                .where(frist.c.id == bindparam("fid"))
                .values(next_step_at=bindparam("at")),
                [{"fid": fid, "at": at} for fid, at in rows],
            )


async def timed_tick(app: App) -> tuple[float, int, int]:
    """(seconds, planned rows, deadlines read) of one tick."""
    planner = app.planner()
    gc.collect()
    start = time.perf_counter()
    result = await planner.tick()
    return time.perf_counter() - start, result.planned, result.deadlines


async def measure(backend: str, n: int, runs: int) -> dict:
    async with database(backend) as db:
        seeded = await seed_deadlines(db, n, DUE_EVERY)
        engine = create_engine(db.url)
        settings = load_settings(FRISTER_DATABASE_URL=db.url, FRISTER_PSEUDONYM_KEY=BENCH_KEY)
        app = App(settings, clock=FixedClock(NOW), engine_override=engine)
        due = Due(engine)
        await due.snapshot()
        try:
            # warm-up: connections, rule pack, calendar, statement caches
            await due.restore(100)
            await timed_tick(app)
            gc.collect()
            gc.freeze()  # as `frister serve` does after start-up (bot/runtime.py)

            full, peaks = [], []
            planned = deadlines = 0
            for _ in range(runs):
                await due.restore()
                gc.collect()
                before = rss()
                reset_peak()
                seconds, planned, deadlines = await timed_tick(app)
                peaks.append(max(0, peak_rss() - before))
                full.append(seconds)

            await due.restore()
            gc.collect()
            tracemalloc.start()
            await app.planner().tick()
            _current, traced = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            small = []
            for _ in range(runs):
                await due.restore(100)
                small.append((await timed_tick(app))[0])

            idle = [(await timed_tick(app))[0] for _ in range(max(5, runs))]
            process_peak = peak_rss()
        finally:
            gc.unfreeze()
            await app.close()
            await engine.dispose()
    return {
        "backend": backend,
        "stored": n,
        "due": deadlines,
        "planned": planned,
        "seed_s": seeded.seconds,
        "catch_up_s": seeded.catch_up_seconds,
        "tick_ms": statistics.median(full) * 1000,
        "tick_min_ms": min(full) * 1000,
        "per_due_us": statistics.median(full) / max(deadlines, 1) * 1e6,
        "small_ms": statistics.median(small) * 1000,
        "idle_ms": statistics.median(idle) * 1000,
        "peak_rss": max(peaks),
        "process_peak": process_peak,
        "traced": traced,
        "runs": runs,
    }


def row(r: dict) -> str:
    return (
        f"| {r['backend']} | {r['stored']:,} | {r['due']:,} | {r['tick_ms']:.0f} "
        f"(min {r['tick_min_ms']:.0f}) | {r['per_due_us']:.0f} | {r['small_ms']:.1f} "
        f"| {r['idle_ms']:.1f} | {mib(r['traced'])} | {mib(r['peak_rss'])} "
        f"| {mib(r['process_peak'])} | {r['seed_s']:.1f} + {r['catch_up_s']:.1f} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5, help="ticks per figure (median)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    print(
        "| backend | stored open | due | tick, 1 % due, ms (median of runs) | µs per due "
        "| tick, 100 due, ms | idle tick, ms | tracemalloc peak | RSS growth in tick "
        "| process peak RSS | seed + catch-up, s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in backends:
        for size in (int(s) for s in args.sizes.split(",")):
            runs = args.runs if size < 1_000_000 else max(2, args.runs // 2)
            print(row(await measure(backend, size, runs)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
