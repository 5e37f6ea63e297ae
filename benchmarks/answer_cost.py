"""The CPU cost of one `/frister` answer, in process: what benchmark 3 divides its rate by.

    python -m benchmarks.answer_cost [--deadlines 100000] [--requests 3000] [--profile FILE]

The slash-command benchmark's questions (the same users, texts and SQLite database of N open
deadlines) are dispatched through the real Bolt app (signature check, the listener, the answer
pool, the post to a response_url on the Slack stand-in), in batches the answer pool takes
without shedding. It prints the process's CPU time per answer (`time.process_time`: every
thread, the stand-in that receives the answers included; and the event loop's thread alone),
which a shared machine disturbs far less than wall time. The clock stands still, so the
askers' memory (bot/chat/askers.py) never expires here. With `--profile` the cProfile
statistics are written to FILE (per-answer figures are then inflated by the profiler).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.common import (
    BENCH_KEY,
    NOW,
    database,
    machine,
    print_machine,
    seed_deadlines,
    staff_rows,
)
from benchmarks.slash_commands import TEXTS, command_body
from bot import i18n
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import load_settings
from bot.testing.slack_requests import signed_headers
from bot.testing.slack_standin import SlackStandIn
from handlers.slack.app import build

SECRET = "bench-signing-secret"


def thread_cpu() -> dict[int, float]:
    """CPU seconds of each of this process's threads, by thread id (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            found[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


BATCH = 50  # requests dispatched before waiting for their answers (the queue holds 100)


async def run(args) -> None:
    async with database("sqlite") as db, SlackStandIn() as slack:
        await seed_deadlines(db, args.deadlines)
        _units, people = staff_rows()
        users = [person[1] for person in people]
        for user in users:
            slack.add_user(user)
        settings = load_settings(
            FRISTER_DATABASE_URL=db.url, FRISTER_PSEUDONYM_KEY=BENCH_KEY
        ).model_copy(update={"slack_signing_secret": SecretStr(SECRET), "slack_api_url": slack.url})
        app = App(settings, clock=FixedClock(NOW + timedelta(hours=1)))
        async with aiohttp.ClientSession() as session:
            client = AsyncWebClient(token="xoxb-bench", base_url=slack.url, session=session)
            bolt = build(app.services(), client=client, signing_secret=SECRET)

            async def dispatch(number: int, tag: str) -> None:
                key = f"{tag}-{number}"
                body = command_body(key, number, users, slack.response_url(key))
                request = AsyncBoltRequest(body=body, headers=signed_headers(SECRET, body))
                response = await bolt.async_dispatch(request)
                assert response.status == 200 and not response.body, response.body

            async def batch(numbers: range, tag: str) -> None:
                for start in range(numbers.start, numbers.stop, BATCH):
                    for number in range(start, min(start + BATCH, numbers.stop)):
                        await dispatch(number, tag)
                    await app.answer_pool.idle()

            await batch(range(200), "warm")
            profiler = cProfile.Profile() if args.profile else None
            threads = thread_cpu()
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            await batch(range(args.requests), "run")
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            after = thread_cpu()
            main_id = threading.get_native_id()
            main = after.get(main_id, 0) - threads.get(main_id, 0)
            counts = app.answer_pool.counts()
            await app.close()
    texts = Counter(TEXTS[n % len(TEXTS)] for n in range(args.requests))
    print(f"{args.deadlines:,} open deadlines, SQLite, {args.requests:,} requests {dict(texts)}")
    print(
        f"CPU per answer {cpu / args.requests * 1000:.2f} ms (process, all threads); wall "
        f"{wall / args.requests * 1000:.2f} ms; answers/s on one core at this cost "
        f"{args.requests / cpu:,.0f}; of which the event loop's thread "
        f"{main / args.requests * 1000:.2f} ms, the database threads the rest; pool {counts}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", help="write cProfile stats here")
    args = parser.parse_args()
    i18n.activate("sv_SE")
    print_machine(machine())
    await run(args)


if __name__ == "__main__":
    asyncio.run(main())
