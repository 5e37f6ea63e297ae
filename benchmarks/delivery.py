"""Benchmark 4: delivery of 10,000 due reminders to 500 recipients under Slack's rate limits.

    python -m benchmarks.delivery [--reminders 10000] [--recipients 500]
        [--workspace-per-minute 3000] [--per-channel 1] [--layout random] [--backends sqlite]

A real `frister serve` subprocess (HTTP mode, production settings except the clock and the
Slack URL) delivers N due outbox rows, 20 per recipient, to the local Slack stand-in
(bot/testing/slack_standin.py) running in this process, which enforces `--per-channel`
chat.postMessage per second in each channel (Slack: about 1) and `--workspace-per-minute` calls
of each method in any 60 s (Slack does not publish chat.postMessage's workspace limit),
answering 429 with Retry-After beyond them.

Scaled to run in a few minutes: Frister posts one message per direct-message channel, so with
500 recipients the per-channel limits add up to 500 messages/s; the binding limit is the
workspace one, set here to 3,000/min (50/s) so that 10,000 messages take about three
minutes. What is measured is the share of the allowed rate Frister achieves, so the scale
does not matter as long as Frister itself can go faster than the limit.

The rows are due at once; `--layout random` orders the recipients at random (as deadlines
of many handläggare come due together), `grouped` puts each recipient's 20 rows one after
another (the worst case for per-channel pacing).

Figures: time from the first to the last post; achieved messages/s; the allowed rate; the
share of it; the share of the best possible completion time under the stand-in's limiter
(its 60 s window lets a sender burst a full minute's quota at once, so the best possible is
60 s × (⌈N / quota⌉ − 1)); 429s received; lost rows (not `sent`, or never posted); duplicate
posts, and whether each is flagged "möjlig dubblett".

The subprocess's clock runs in real time from Monday 23 November 2026 10:00 (Stockholm), so
that the sending window is open whatever the real date is (the test clock shim of
bot/testing/clockshim.py).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from benchmarks.common import (
    BENCH_KEY,
    NOW,
    Database,
    database,
    machine,
    mib,
    postgres_version,
    print_machine,
    seed_deadlines,
    serve_clock,
    serve_env,
    staff_rows,
)
from bot.testing.seed import due_notification
from bot.testing.slack_standin import SlackStandIn
from storage.database import create_engine
from storage.models import Notification


async def seed_outbox(db: Database, n: int, recipients: int, layout: str) -> dict[int, int]:
    """N open deadlines (none due for planning), and one due outbox row for each, to
    `recipients` handläggare; returns frist id -> notification id."""
    await seed_deadlines(db, n, due_every=10**9)  # nothing for the planner to do
    _units, people = staff_rows()
    owners = [p[0] for p in people if p[2] == "handlaggare"][:recipients]
    if len(owners) < recipients:
        raise SystemExit(f"at most {len(owners)} recipients")
    per = math.ceil(n / recipients)
    order = [owners[i // per] for i in range(n)]  # grouped: each recipient's rows together
    if layout == "random":
        random.Random(4).shuffle(order)
    due = NOW - timedelta(minutes=5)
    rows = [
        due_notification(i + 1, f"person:{person}", due, step="pam:-7d:handlaggare#2026-11-23")
        for i, person in enumerate(order)
    ]
    engine = create_engine(db.url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(rows), 2000):
                await connection.execute(
                    Notification.__table__.insert(), rows[start : start + 2000]
                )
            ids = await connection.execute(select(Notification.frist_id, Notification.id))
            return dict(ids.all())
    finally:
        await engine.dispose()


class Serve:
    """`python -m bot.cli serve`, its stderr kept, its peak RSS sampled; under cProfile when
    `profile` is given (the statistics are written there when it stops)."""

    def __init__(self, env: dict[str, str], cwd: Path, profile: Path | None = None) -> None:
        self.lines: list[str] = []
        self.peak = 0
        profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
        self.proc = subprocess.Popen(
            [sys.executable, *profiler, "-m", "bot.cli", "serve"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def sample(self) -> None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak = max(self.peak, int(line.split()[1]) * 1024)
        except OSError:
            pass

    def check(self) -> None:
        if self.proc.poll() is not None:
            tail = "\n".join(self.lines[-30:])
            raise SystemExit(f"frister serve exited with {self.proc.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


async def run(args, backend: str) -> dict:
    async with database(backend) as db, SlackStandIn() as slack:
        seeded = await seed_outbox(db, args.reminders, args.recipients, args.layout)
        _units, people = staff_rows()
        for person in people:
            slack.add_user(person[1])
        for unit in _units:
            slack.add_channel(unit[2])
        slack.enforce_rate_limits(args.per_channel, args.workspace_per_minute)
        with tempfile.TemporaryDirectory(prefix="frister-delivery-") as folder:
            env = serve_env(
                FRISTER_MODE="http",
                SLACK_SIGNING_SECRET="bench-signing-secret",
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_API_URL=slack.url,
                FRISTER_HTTP_PORT="0",
                FRISTER_DATABASE_URL=db.url,
                FRISTER_PSEUDONYM_KEY=BENCH_KEY,
                FRISTER_DELIVERY_SECONDS=str(args.delivery_seconds),
                FRISTER_LOG_LEVEL="WARNING",
                **serve_clock(Path(folder)),
            )
            serve = Serve(env, Path(folder))
            engine = create_engine(db.url)
            started = time.monotonic()
            try:
                while len(slack.posts) < args.reminders:
                    serve.check()
                    serve.sample()
                    if time.monotonic() - started > args.timeout:
                        break
                    await asyncio.sleep(0.2)
                # settle: every row recorded (the last answers are being committed)
                settle = time.monotonic() + 30
                states: Counter = Counter()
                while time.monotonic() < settle:
                    async with engine.connect() as connection:
                        rows = (
                            await connection.execute(
                                select(
                                    Notification.id,
                                    Notification.state,
                                    Notification.possible_duplicate,
                                    Notification.message_ts,
                                    Notification.last_error,
                                )
                            )
                        ).all()
                    states = Counter(r.state for r in rows)
                    if states.get("sent", 0) == args.reminders:
                        break
                    serve.sample()
                    await asyncio.sleep(0.5)
                serve.sample()
            finally:
                serve.stop()
                await engine.dispose()
    posts = [p for p in slack.posts if p.metadata]
    times = [c.time for c in slack.calls if c.method == "chat.postMessage" and c.fault is None]
    elapsed = (max(times) - min(times)) if len(times) > 1 else float("nan")
    copies = Counter(seeded[int(p.metadata["event_payload"]["frist"])] for p in posts)
    flagged = {r.id for r in rows if r.possible_duplicate}
    duplicates = {nid for nid, count in copies.items() if count > 1}
    warned = {
        seeded[int(p.metadata["event_payload"]["frist"])]
        for p in posts
        if "möjlig dubblett" in (p.text or "")
    }
    allowed = min(args.workspace_per_minute / 60, args.recipients * args.per_channel)
    quota = args.workspace_per_minute
    best = max(
        60 * (math.ceil(args.reminders / quota) - 1),
        (math.ceil(args.reminders / args.recipients) - 1) / args.per_channel,
    )
    limited = sum(1 for c in slack.calls if c.fault == "rate_limited")
    return {
        "backend": backend,
        "layout": args.layout,
        "elapsed": elapsed,
        "rate": args.reminders / elapsed,
        "allowed": allowed,
        "best": best,
        "posts": len(posts),
        "lost": args.reminders - states.get("sent", 0),
        "never_posted": args.reminders - len(copies),
        "duplicates": sum(c - 1 for c in copies.values() if c > 1),
        "unflagged": len(duplicates - flagged) + len(duplicates - warned),
        "limited": limited,
        "peak": serve.peak,
        "states": dict(states),
        "errors": dict(Counter(r.last_error for r in rows if r.state != "sent")),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=4_000)
    parser.add_argument("--recipients", type=int, default=500)
    parser.add_argument("--workspace-per-minute", type=int, default=1200)
    parser.add_argument("--per-channel", type=float, default=1.0)
    parser.add_argument("--layout", choices=("random", "grouped"), default="random")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument(
        "--delivery-seconds", type=float, default=5.0, help="FRISTER_DELIVERY_SECONDS"
    )
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    backends = args.backends.split(",")
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    print(
        f"{args.reminders:,} reminders to {args.recipients} recipients ({args.layout}); limits: "
        f"{args.per_channel:g}/s per channel, {args.workspace_per_minute:,}/min workspace-wide; "
        f"FRISTER_DELIVERY_SECONDS={args.delivery_seconds:g}"
    )
    print(
        "| backend | first→last post | msgs/s | allowed/s | share of allowed rate "
        "| share of best possible | 429s | lost | duplicates (unflagged) | serve peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in backends:
        r = await run(args, backend)
        print(
            f"| {r['backend']} | {r['elapsed']:.1f} s | {r['rate']:.1f} | {r['allowed']:.1f} "
            f"| {r['rate'] / r['allowed']:.0%} | {r['best'] / r['elapsed']:.0%} "
            f"| {r['limited']:,} | {r['lost']} (never posted {r['never_posted']}) "
            f"| {r['duplicates']} ({r['unflagged']}) | {mib(r['peak'])} |",
            flush=True,
        )
        if r["lost"] or r["never_posted"]:
            print(f"  states: {r['states']}; errors: {r['errors']}")


if __name__ == "__main__":
    asyncio.run(main())
