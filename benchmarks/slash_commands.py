"""Benchmark 3: slash commands under load: acknowledgements and answers.

    python -m benchmarks.slash_commands [--deadlines 100000] [--rates 200] [--seconds 60]
        [--backend sqlite|postgresql] [--processes 1]

A real `frister serve` subprocess in HTTP mode on a database with N open deadlines (SQLite,
the embedded default; see benchmarks/common.py), and in the same run a minimal bolt-python
AsyncApp (benchmarks/minimal_bolt.py: the aiohttp adapter, the same signing check,
`ack(text=...)`) as the baseline. The Slack stand-in in this process serves the Web API and
the response_urls. An open-loop load generator (aiohttp) sends signed `/frister` requests at a
fixed rate — each one different (user, text, trigger_id, its own response_url), so replay
protection lets every one through — and measures:

- the acknowledgement (the HTTP answer to Slack): p50/p99/max;
- the answer: the time from sending the request to its post on the response_url, p50/p99;
- what became of each request: answered, shed (the acknowledgement told the person to try
  again in a minute), failed (the apology) and lost (neither, 10 s after the last answer).

Open loop: a request is sent on schedule whether or not earlier ones have been answered, so a
slow server shows as latency, not as a lower rate.

Target (200/s for 60 s, 100k deadlines, one process, SQLite): ack p99 <= 2x the minimal bolt
app's; 0 lost; >= 99 % answered; answer p99 < 500 ms. With `--backend postgresql --processes
N` the requests go to N replicas in turn, as a load balancer would send them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
from bot import i18n
from bot.services.answer_pool import busy
from bot.testing.slack_requests import signed_headers
from bot.testing.slack_standin import Response, SlackStandIn
from handlers.slack.fallback import apology

SECRET = "bench-signing-secret"
TEXTS = ("", "30", "försenade", "hjälp", "vecka", "team")
SETTLE = 10.0  # seconds without a new answer after which the missing ones count as lost


@dataclass
class Round:
    app: str
    rate: int
    seconds: int
    sent: int = 0
    acks: list[float] = field(default_factory=list)
    ack_errors: int = 0
    shed: int = 0
    answers: list[float] = field(default_factory=list)
    failed: int = 0
    elapsed: float = 0.0
    answering: bool = True
    cpu: float | None = None  # CPU seconds the server process used during the round

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def lost(self) -> int:
        return self.sent - self.answered - self.shed - self.failed - self.ack_errors


class Answers:
    """Posts to the stand-in's response_urls, by request key, with their arrival time."""

    def __init__(self, slack: SlackStandIn) -> None:
        self.arrived: dict[str, tuple[float, str]] = {}
        self.changed = asyncio.Event()
        slack.on_response = self.record

    def record(self, response: Response) -> None:
        self.arrived[response.key] = (time.perf_counter(), response.text)
        self.changed.set()


def command_body(key: str, number: int, users: list[str], response_url: str) -> str:
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0BENCH",
            "channel_id": "C0BENCH",
            "user_id": users[number % len(users)],
            "command": "/frister",
            "text": TEXTS[number % len(TEXTS)],
            "response_url": response_url,
            "trigger_id": f"{key}.{time.time_ns()}",
        }
    )


async def load(
    urls: str | list[str],
    result: Round,
    users: list[str],
    slack: SlackStandIn,
    answers: Answers,
    tag: str,
) -> None:
    """Open loop: request i is sent at start + i/rate (to the servers in turn, as a load
    balancer would). Then wait for the answers."""
    urls = [urls] if isinstance(urls, str) else urls
    sent_at: dict[str, float] = {}
    total = result.rate * result.seconds
    result.sent = total
    refused = busy()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(number: int) -> None:
            key = f"{tag}-{number}"
            body = command_body(key, number, users, slack.response_url(key))
            headers = signed_headers(SECRET, body)
            started = sent_at[key] = time.perf_counter()
            try:
                url = urls[number % len(urls)]
                async with session.post(url, data=body, headers=headers) as response:
                    text = await response.text()
                    if response.status != 200:
                        result.ack_errors += 1
                        return
            except (aiohttp.ClientError, TimeoutError):
                result.ack_errors += 1
                return
            result.acks.append(time.perf_counter() - started)
            if text == refused:
                result.shed += 1

        tasks = []
        start = time.perf_counter()
        for number in range(total):
            delay = start + number / result.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(number)))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - start
    if not result.answering:
        return
    expected = total - result.shed - result.ack_errors
    mine = {key for key in sent_at}
    while sum(1 for key in answers.arrived if key in mine) < expected:
        answers.changed.clear()
        try:
            async with asyncio.timeout(SETTLE):
                await answers.changed.wait()
        except TimeoutError:
            break  # nothing new for SETTLE seconds: the rest are lost
    sorry = apology()
    for key, (at, text) in answers.arrived.items():
        if key not in mine:
            continue
        if text == sorry:
            result.failed += 1
        elif text == refused:
            result.shed += 1
        else:
            result.answers.append(at - sent_at[key])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, every thread (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(url: str, process: subprocess.Popen | Serve, seconds: float = 120) -> None:
    """Until `url` answers (any status): the server is up."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if isinstance(process, Serve):
                process.check()
            elif process.poll() is not None:
                raise SystemExit("the minimal bolt app exited")
            try:
                async with session.get(url) as response:
                    await response.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def serve_port(serve: Serve) -> int | None:
    for line in serve.lines:
        found = re.search(r"health on http://[^:]+:(\d+)/", line)
        if found:
            return int(found[1])
    return None


async def run(args) -> tuple[list[Round], dict, int]:
    rounds: list[Round] = []
    async with database(args.backend) as db, SlackStandIn() as slack:
        seeded = await seed_deadlines(db, args.deadlines)
        _units, people = staff_rows()
        users = [person[1] for person in people]
        for user in users:
            slack.add_user(user)
        answers = Answers(slack)
        port = free_port()
        minimal = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.minimal_bolt", str(port), slack.url, SECRET],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with tempfile.TemporaryDirectory(prefix="frister-slash-") as folder:
            settings = {"FRISTER_ANSWER_WORKERS": str(args.workers)} if args.workers else {}
            if args.queue:
                settings["FRISTER_ANSWER_QUEUE"] = str(args.queue)
            env = serve_env(
                FRISTER_MODE="http",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_API_URL=slack.url,
                FRISTER_DATABASE_URL=db.url,
                FRISTER_PSEUDONYM_KEY=BENCH_KEY,
                FRISTER_HTTP_PORT="0",
                FRISTER_LOG_LEVEL="INFO",  # the port is read from the start-up log line
                **settings,
                **serve_clock(Path(folder)),
            )
            profile = args.profile and args.profile.resolve()
            serves = [Serve(env, Path(folder), profile) for _ in range(args.processes)]
            try:
                deadline = time.monotonic() + 120
                ports: list[int] = []
                for serve in serves:
                    while (frister_port := serve_port(serve)) is None:
                        serve.check()
                        if time.monotonic() > deadline:
                            raise SystemExit("frister serve did not start")
                        await asyncio.sleep(0.1)
                    ports.append(frister_port)
                frister = [f"http://127.0.0.1:{p}/slack/events" for p in ports]
                baseline = f"http://127.0.0.1:{port}/slack/events"
                await wait_for(baseline, minimal)
                warm = Round("warm-up", 10, 3)
                await load(frister, warm, users, slack, answers, "warm")
                await load(baseline, Round("warm-up", 10, 3, answering=False), users, slack,
                           answers, "warm-min")  # fmt: skip
                for rate in args.rates:
                    base = Round("minimal bolt", rate, args.seconds, answering=False)
                    await load(baseline, base, users, slack, answers, f"min{rate}")
                    ours = Round("frister", rate, args.seconds)
                    before = sum(cpu_seconds(serve.proc.pid) for serve in serves)
                    await load(frister, ours, users, slack, answers, f"fr{rate}")
                    ours.cpu = sum(cpu_seconds(serve.proc.pid) for serve in serves) - before
                    for serve in serves:
                        serve.sample()
                    rounds += [base, ours]
                counts: dict = {}
                async with aiohttp.ClientSession() as session:
                    for p in ports:
                        async with session.get(f"http://127.0.0.1:{p}/healthz") as response:
                            found = (await response.json())["checks"].get("answers", {})
                        for key, value in found.items():
                            counts[key] = value if key == "ok" else counts.get(key, 0) + value
                counts["warm-up answered"] = warm.answered
                counts["peak_rss_mib"] = max(round(serve.peak / 2**20) for serve in serves)
            finally:
                for serve in serves:
                    serve.stop()
                minimal.terminate()
                minimal.wait(timeout=10)
    return rounds, counts, seeded.deadlines


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def report(rounds: list[Round], counts: dict, deadlines: int, args) -> None:
    processes = "one process" if args.processes == 1 else f"{args.processes} processes"
    backend = "SQLite" if args.backend == "sqlite" else "PostgreSQL"
    print(f"{deadlines:,} open deadlines, {backend}, {processes}; {args.seconds} s per rate")
    print()
    print(
        "| app | rate | sent | ack p50 ms | ack p99 ms | ack max ms | answered | shed | failed"
        " | lost | answer p50 ms | answer p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rounds:
        outcome = (
            f"{r.answered:,} | {r.shed:,} | {r.failed:,} | {r.lost:,}"
            if r.answering
            else f"– | – | – | {r.ack_errors:,}"
        )
        print(
            f"| {r.app} | {r.rate}/s | {r.sent:,} | {ms(percentile(r.acks, 0.5))} | "
            f"{ms(percentile(r.acks, 0.99))} | {ms(max(r.acks) * 1000 if r.acks else None)} | "
            f"{outcome} | {ms(percentile(r.answers, 0.5)) if r.answering else '–'} | "
            f"{ms(percentile(r.answers, 0.99)) if r.answering else '–'} |"
        )
    print()
    for base, ours in zip(rounds[::2], rounds[1::2], strict=True):
        base_p99, ours_p99 = percentile(base.acks, 0.99), percentile(ours.acks, 0.99)
        ratio = ours_p99 / base_p99 if base_p99 and ours_p99 else float("nan")
        share = ours.answered / ours.sent if ours.sent else 0.0
        print(
            f"{ours.rate}/s: ack p99 {ratio:.2f}x the minimal bolt app's (target <= 2x); "
            f"answered {share:.1%} (target >= 99 %); lost {ours.lost} (target 0); answer p99 "
            f"{ms(percentile(ours.answers, 0.99))} ms (target < 500 ms)"
        )
        if ours.cpu is not None and ours.sent:
            print(
                f"{ours.rate}/s: frister serve used {ours.cpu:.1f} s of CPU in the round, "
                f"{ours.cpu / ours.sent * 1000:.2f} ms per request sent (answered or shed)"
            )
    print(f"frister serve's own counts (/healthz, warm-up included): {counts}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--rates", default="200")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--processes", type=int, default=1, help="frister serve processes (PostgreSQL: replicas)"
    )
    parser.add_argument("--workers", type=int, default=0, help="FRISTER_ANSWER_WORKERS")
    parser.add_argument("--queue", type=int, default=0, help="FRISTER_ANSWER_QUEUE")
    parser.add_argument(
        "--profile", type=Path, help="run frister serve under cProfile, its stats to this file"
    )
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",")]
    if args.processes > 1 and args.backend == "sqlite":
        parser.error("several processes need --backend postgresql")
    i18n.activate("sv_SE")
    print_machine(machine())
    rounds, counts, deadlines = await run(args)
    report(rounds, counts, deadlines, args)


if __name__ == "__main__":
    asyncio.run(main())
