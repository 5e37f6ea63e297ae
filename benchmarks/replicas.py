"""Several replicas: K `frister serve` processes on one PostgreSQL database deliver N due
reminders through the local Slack stand-in; time, messages/s, share per replica, duplicates.

    python -m benchmarks.replicas [--reminders 5000] [--replicas 1,2,3]

The scenario of tests/test_replicas.py (same seeding, same processes, same test clock), run
for each number of replicas, printing figures instead of asserting. No rate limits are
enforced here: this measures how fast the replicas drain the outbox together, on a 2-core
machine that also runs PostgreSQL and the stand-in.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.common import machine, pg_base_url, postgres_version, print_machine
from bot.testing.databases import throwaway_postgres
from bot.testing.slack_standin import SlackStandIn
from storage.database import create_engine, upgrade
from tests import test_replicas as scenario


async def run(n: int, replicas: int, synchronous_commit: str) -> dict:
    async with throwaway_postgres(
        pg_base_url(), prefix="frister_bench", synchronous_commit=synchronous_commit == "on"
    ) as url:
        engine = create_engine(url)
        await upgrade(engine)
        try:
            async with SlackStandIn() as slack:
                for i in range(scenario.PEOPLE):
                    slack.add_user(scenario.user_of(i))
                slack.add_channel("C0ESKALER")
                with tempfile.TemporaryDirectory(prefix="frister-replicas-") as folder:
                    fleet = scenario.Fleet(url, slack, Path(folder))
                    try:
                        result = await scenario.deliver_healthy(engine, slack, fleet, n, replicas)
                    finally:
                        fleet.kill_all()
        finally:
            await engine.dispose()
    copies: Counter = result["copies"]
    return {
        "replicas": replicas,
        "seconds": result["seconds"],
        "rate": n / result["seconds"],
        "per_replica": result["per_replica"],
        "duplicates": sum(c - 1 for c in copies.values() if c > 1),
        "missing": n - len(copies),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        default="on",
        help="PostgreSQL's synchronous_commit for the database (the test uses off)",
    )
    args = parser.parse_args()
    print_machine(machine(await postgres_version()))
    print(f"synchronous_commit={args.synchronous_commit}")
    print(
        "| replicas | reminders | seconds (start to all sent) | msgs/s | posts per replica "
        "| duplicates | missing |"
    )
    print("|---:|---:|---:|---:|---|---:|---:|")
    for k in (int(x) for x in args.replicas.split(",")):
        r = await run(args.reminders, k, args.synchronous_commit)
        print(
            f"| {k} | {args.reminders:,} | {r['seconds']:.1f} | {r['rate']:.0f} "
            f"| {r['per_replica']} | {r['duplicates']} | {r['missing']} |",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
