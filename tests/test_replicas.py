"""Several replicas: three `frister serve` processes on one PostgreSQL database deliver 2,000
due reminders through the Slack stand-in (in this process, real HTTP). Healthy, each reminder
is posted exactly once. With one process SIGKILLed mid-run (1,000 reminders, to keep the time
down) nothing is lost: the rows it held go to the others when their lease ends, and the only
copies are rows that were in flight at the kill, each flagged "möjlig dubblett".

PostgreSQL only (SQLite is one file on one machine: replicas need a database server). The
subprocesses know their database only by FRISTER_DATABASE_URL, so each test gets a fresh
database (CREATE DATABASE on the server of FRISTER_TEST_DATABASE_URL), migrated as `frister
db upgrade` would, and dropped afterwards.

Time. Reminders go to people only on Swedish working days inside the sending window; with the
real clock this test would send nothing on a Saturday or a public holiday. So, as in
tests/test_crash.py, each subprocess runs with a test clock (bot/testing/clockshim.py) that
starts on Monday 23 November 2026 at 10:00 in Stockholm and runs in real time;
FRISTER_SEND_TIME=00:00 and FRISTER_SEND_UNTIL=23:59 as well.

Every wait polls for an observable event with a bounded deadline; the subprocesses are killed
in `finally`. Timing is printed (run with -s); nothing asserts on it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.testing.clockshim import ShiftedClock, clock_env
from bot.testing.databases import throwaway_postgres
from bot.testing.faults import Process
from bot.testing.seed import seed_due_reminders
from bot.testing.slack_standin import SlackStandIn
from storage.database import create_engine, upgrade
from storage.models import Notification
from tests.conftest import POSTGRES_URL, TEST_KEY

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not (POSTGRES_URL or "").startswith("postgresql"),
        reason="several replicas need PostgreSQL: set FRISTER_TEST_DATABASE_URL",
    ),
]

START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Monday
REMINDERS = 2000  # the suite checks correctness; `make bench-replicas` measures 5,000 and more
KILL_REMINDERS = 1000  # the kill variant: fewer, to keep the pair short on 2 cores
PEOPLE = 500
REPLICAS = 3
WAIT = 600.0  # seconds: a guard against a hang, not a speed target (that is benchmarks/)


def user_of(i: int) -> str:
    return f"U0R{i:06d}"


# ---- the processes -----------------------------------------------------------------------------


class Replica(Process):
    """One `python -m bot.cli serve`; stderr collected by a thread."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        super().__init__(["serve"], cwd, env)
        self.name = name

    def check_running(self) -> None:
        if self.proc.poll() is not None:
            self._reader.join(timeout=2)
            log = "\n".join(self.lines[-40:])
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{log}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=2)


@dataclass
class Fleet:
    """The replicas of one test, the stand-in they post to, and the database."""

    url: str
    slack: SlackStandIn
    folder: Path
    replicas: list[Replica] = field(default_factory=list)

    def start(self, count: int, lease_seconds: int) -> list[Replica]:
        clock = clock_env(self.folder / "shim", ShiftedClock(START))
        for i in range(count):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
            env.update(
                clock,
                PYTHONUTF8="1",
                FRISTER_MODE="http",
                SLACK_SIGNING_SECRET="replica-test-secret",
                SLACK_BOT_TOKEN=f"xoxb-replica-{i}",  # the stand-in tells the replicas apart
                SLACK_API_URL=self.slack.url,
                FRISTER_HTTP_PORT="0",
                FRISTER_TICK_SECONDS="5",
                FRISTER_DELIVERY_SECONDS="0.2",
                FRISTER_DELIVERY_LEASE_SECONDS=str(lease_seconds),
                FRISTER_SEND_TIME="00:00",
                FRISTER_SEND_UNTIL="23:59",
                FRISTER_DATABASE_URL=self.url,
                FRISTER_PSEUDONYM_KEY=TEST_KEY,
                FRISTER_LOG_LEVEL="WARNING",
            )
            self.replicas.append(Replica(f"replica {i}", env, self.folder))
        return self.replicas

    def check_running(self) -> None:
        for replica in self.replicas:
            if replica.proc.returncode is None:
                replica.check_running()

    def kill_all(self) -> None:
        for replica in self.replicas:
            replica.kill()


async def eventually(check: Callable, what: str, fleet: Fleet, timeout: float = WAIT):
    """Poll `check` (sync or async) every 0.25 s until it is truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        fleet.check_running()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.25)


# ---- database and seed -------------------------------------------------------------------------


@pytest.fixture
async def replica_url():
    """A fresh database on the test server, dropped afterwards. What is tested is the outbox
    protocol between processes, not the disk: commits need not wait for the WAL flush (about
    a third faster on a slow disk)."""
    async with throwaway_postgres(
        POSTGRES_URL, prefix="frister_replicas", synchronous_commit=False
    ) as url:
        yield url


@pytest.fixture
async def db(replica_url):
    engine = create_engine(replica_url)
    await upgrade(engine)  # as `frister db upgrade` would
    yield engine
    await engine.dispose()


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        for i in range(PEOPLE):
            standin.add_user(user_of(i))
        standin.add_channel("C0ESKALER")
        yield standin


@pytest.fixture
async def fleet(replica_url, slack, tmp_path):
    fleet = Fleet(replica_url, slack, tmp_path)
    try:
        yield fleet
    finally:
        fleet.kill_all()


async def seed(engine, n: int) -> dict[int, int]:
    """N due reminders to the 500 handläggare in turn; frist id -> notification id."""
    due = START.astimezone(UTC) - timedelta(minutes=5)
    return await seed_due_reminders(
        engine, n, due=due, user_of=user_of, people=PEOPLE, code_prefix="R"
    )


async def outbox(engine) -> list:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                Notification.id,
                Notification.state,
                Notification.possible_duplicate,
                Notification.claimed_by,
                Notification.message_ts,
            )
        )
        return list(rows.all())


def posted(slack: SlackStandIn, notification_of: dict[int, int]) -> Counter:
    """Notification id of every recorded post (from its metadata)."""
    return Counter(
        notification_of[int(p.metadata["event_payload"]["frist"])]
        for p in slack.posts
        if p.metadata is not None
    )


def tokens(slack: SlackStandIn) -> Counter:
    """Posts Slack recorded per replica (by bot token)."""
    return Counter(
        c.token for c in slack.calls if c.method == "chat.postMessage" and c.fault is None
    )


def report(label: str, **figures) -> None:
    print(f"\n[{label}] " + " ".join(f"{k}={v}" for k, v in figures.items()))


async def all_sent(engine, n: int) -> bool:
    """Every one of the n rows recorded as sent (a count: the poll must stay cheap, the
    stand-in shares this process)."""
    async with engine.connect() as connection:
        sent = await connection.execute(select(func.count()).where(Notification.state == "sent"))
        return sent.scalar() == n


# ---- tests -------------------------------------------------------------------------------------


async def deliver_healthy(db, slack, fleet, n: int = REMINDERS, replicas: int = REPLICAS) -> dict:
    notification_of = await seed(db, n)
    started = time.monotonic()
    fleet.start(replicas, lease_seconds=60)
    await eventually(lambda: all_sent(db, n), f"all {n} reminders recorded as sent", fleet)
    seconds = time.monotonic() - started
    fleet.kill_all()
    return {
        "seconds": seconds,
        "copies": posted(slack, notification_of),
        "rows": await outbox(db),
        "per_replica": sorted(tokens(slack).values(), reverse=True),
        "notification_of": notification_of,
    }


async def test_three_replicas_send_each_reminder_once(db, slack, fleet):
    result = await deliver_healthy(db, slack, fleet)
    copies, rows = result["copies"], result["rows"]
    report(
        f"{REPLICAS} replicas, {REMINDERS} reminders, PostgreSQL",
        seconds=f"{result['seconds']:.1f}",
        per_s=f"{REMINDERS / result['seconds']:.0f}",
        posts=len(slack.posts),
        per_replica=result["per_replica"],
    )
    assert [p for p in slack.posts if p.metadata is None] == []  # no failure reports
    assert copies == Counter(set(result["notification_of"].values()))  # each exactly once
    assert len(slack.posts) == REMINDERS
    assert Counter(r.state for r in rows) == {"sent": REMINDERS}
    assert [r.id for r in rows if r.possible_duplicate] == []
    assert {r.message_ts for r in rows} == {p.ts for p in slack.posts}
    assert len(result["per_replica"]) == REPLICAS  # every replica took a share


async def test_killed_replica_loses_nothing(db, slack, fleet):
    notification_of = await seed(db, KILL_REMINDERS)
    lease = 10
    started = time.monotonic()
    victim = fleet.start(REPLICAS, lease_seconds=lease)[0]
    victim_token = "xoxb-replica-0"

    def mid_run() -> bool:  # the victim has posted, and a good part of the work is left
        return tokens(slack)[victim_token] >= 100 and len(slack.posts) >= KILL_REMINDERS // 5

    await eventually(mid_run, "the victim posting mid-run", fleet)
    victim.kill()  # SIGKILL: no chance to record anything
    killed_at = time.monotonic()
    posted_by_victim = tokens(slack)[victim_token]
    held = {
        r.id for r in await outbox(db) if r.state == "sending" and r.claimed_by == victim.worker
    }

    await eventually(lambda: all_sent(db, KILL_REMINDERS), "every reminder recorded as sent", fleet)
    seconds = time.monotonic() - started
    fleet.kill_all()

    rows = await outbox(db)
    copies = posted(slack, notification_of)
    duplicates = {nid for nid, count in copies.items() if count > 1}
    flagged = {r.id for r in rows if r.possible_duplicate}
    warned = {
        notification_of[int(p.metadata["event_payload"]["frist"])]
        for p in slack.posts
        if p.metadata is not None and "möjlig dubblett" in (p.text or "")
    }
    report(
        f"kill 1 of {REPLICAS} replicas, {KILL_REMINDERS} reminders, PostgreSQL",
        seconds=f"{seconds:.1f}",
        after_kill=f"{time.monotonic() - killed_at:.1f}",
        victim_posted=posted_by_victim,
        held_at_kill=len(held),
        posts=len(slack.posts),
        duplicates=len(duplicates),
        flagged=len(flagged),
    )
    assert Counter(r.state for r in rows) == {"sent": KILL_REMINDERS}  # nothing lost
    assert set(copies) == set(notification_of.values())  # every reminder reached Slack
    assert [p for p in slack.posts if p.metadata is None] == []
    assert len(slack.posts) == KILL_REMINDERS + sum(c - 1 for c in copies.values())
    # Copies only of rows the victim held at the kill, each sent twice at most and flagged,
    # and the resend says so.
    assert duplicates <= held
    assert all(copies[nid] == 2 for nid in duplicates)
    assert duplicates <= flagged <= held
    assert duplicates <= warned
