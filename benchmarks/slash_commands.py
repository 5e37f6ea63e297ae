"""Benchmark 3: slash-command acknowledgement under load.

    python -m benchmarks.slash_commands [--deadlines 100000] [--rates 50,200] [--seconds 60]

A real `frister serve` subprocess in HTTP mode on a database with N open deadlines (SQLite,
the embedded default; see benchmarks/common.py), the Slack stand-in in this process for the
Web API and the response_url answers. An open-loop load generator (aiohttp, from PyPI) sends
signed `/frister` requests at a fixed rate — each one different (user, text, trigger_id), so
replay protection lets every one through — and measures the time to Slack's acknowledgement
(the HTTP response). Open loop: a request is sent on schedule whether or not earlier ones
have been answered, so a slow server shows as latency, not as a lower rate.

Target: p99 under 100 ms and none over 3 s (Slack's limit) at 50 and 200 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from benchmarks.common import (
    BENCH_KEY,
    database,
    machine,
    print_machine,
    seed_deadlines,
    serve_clock,
    serve_env,
    staff_rows,
)
from benchmarks.delivery import Serve
from bot.testing.slack_requests import signed_headers
from bot.testing.slack_standin import SlackStandIn

SECRET = "bench-signing-secret"
TEXTS = ("", "30", "försenade", "hjälp", "vecka", "team")


def command_body(number: int, users: list[str], response_url: str) -> str:
    user = users[number % len(users)]
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0BENCH",
            "channel_id": "C0BENCH",
            "user_id": user,
            "command": "/frister",
            "text": TEXTS[number % len(TEXTS)],
            "response_url": response_url,
            "trigger_id": f"bench.{number}.{time.time_ns()}",
        }
    )


async def load(url: str, rate: int, seconds: int, users: list[str], response_url: str):
    """Open-loop: request i is sent at start + i/rate. Returns latencies and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    total = rate * seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(number: int) -> None:
            body = command_body(number, users, response_url)
            headers = signed_headers(SECRET, body)
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors.append(f"HTTP {response.status}")
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(type(exc).__name__)
                return
            latencies.append(time.perf_counter() - started)

        tasks = []
        start = time.perf_counter()
        for number in range(total):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(number)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(n: int, rates: list[int], seconds: int) -> list[dict]:
    results = []
    async with database("sqlite") as db, SlackStandIn() as slack:
        seeded = await seed_deadlines(db, n)
        _units, people = staff_rows()
        users = [person[1] for person in people]
        for user in users:
            slack.add_user(user)
        response_url = slack.response_url("bench")
        with tempfile.TemporaryDirectory(prefix="frister-slash-") as folder:
            env = serve_env(
                FRISTER_MODE="http",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_API_URL=slack.url,
                FRISTER_DATABASE_URL=db.url,
                FRISTER_PSEUDONYM_KEY=BENCH_KEY,
                FRISTER_HTTP_PORT="0",
                FRISTER_LOG_LEVEL="WARNING",
                **serve_clock(Path(folder)),
            )
            env["FRISTER_LOG_LEVEL"] = "INFO"  # the port is read from the start-up log line
            serve = Serve(env, Path(folder))
            try:
                port = None
                deadline = time.monotonic() + 120
                while port is None and time.monotonic() < deadline:
                    serve.check()
                    for line in serve.lines:
                        found = re.search(r"healthz on http://[^:]+:(\d+)/", line) or re.search(
                            r"health on http://[^:]+:(\d+)/", line
                        )
                        if found:
                            port = int(found[1])
                    await asyncio.sleep(0.1)
                if port is None:
                    raise SystemExit("frister serve did not start")
                url = f"http://127.0.0.1:{port}/slack/events"
                await load(url, 10, 3, users, response_url)  # warm-up
                for rate in rates:
                    latencies, errors, elapsed = await load(url, rate, seconds, users, response_url)
                    serve.sample()
                    results.append(
                        {
                            "deadlines": seeded.deadlines,
                            "rate": rate,
                            "sent": rate * seconds,
                            "ok": len(latencies),
                            "errors": len(errors),
                            "achieved": len(latencies) / elapsed,
                            "p50": statistics.median(latencies) * 1000 if latencies else None,
                            "p99": percentile(latencies, 0.99) * 1000 if latencies else None,
                            "max": max(latencies) * 1000 if latencies else None,
                            "over_3s": sum(1 for x in latencies if x > 3),
                            "peak_rss_mib": serve.peak / 2**20,
                        }
                    )
            finally:
                serve.stop()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--rates", default="50,200")
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    print_machine(machine())
    rates = [int(r) for r in args.rates.split(",")]
    results = await run(args.deadlines, rates, args.seconds)
    print("deadlines  rate/s  requests  ok     errors  achieved/s  p50 ms  p99 ms  max ms  >3 s")
    for r in results:
        print(
            f"{r['deadlines']:>9}  {r['rate']:>6}  {r['sent']:>8}  {r['ok']:>5}  {r['errors']:>6}"
            f"  {r['achieved']:>10.1f}  {r['p50']:>6.1f}  {r['p99']:>6.1f}  {r['max']:>6.1f}"
            f"  {r['over_3s']:>4}"
        )
    print("target: p99 < 100 ms, none over 3 s")


if __name__ == "__main__":
    asyncio.run(main())
