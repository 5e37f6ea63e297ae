"""Concurrent delivery: K workers, each its own App and engine on one database, deliver N due
outbox rows through the local Slack stand-in (real HTTP). Every row is posted exactly once when
all is healthy; a worker killed mid-run leaves its rows to the lease, and the only copies are
the ones it may already have posted, flagged "möjlig dubblett"; a slow worker that outlives its
lease must not post rows another worker took over.

Nothing here measures time: `make bench-workers` (benchmarks/workers.py) times the same
scenario at 5,000 rows and 16 workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.clock import FixedClock
from bot.domain.messages import Message
from bot.services.delivery import DeliveryPolicy
from bot.testing.seed import seed_due_reminders
from bot.testing.slack_standin import Post, SlackStandIn
from bot.testing.workers import delivery_workers, run_round
from handlers.slack.messenger import SlackMessenger
from storage.database import create_engine, session_factory, transaction
from storage.models import Notification
from tests.conftest import BACKENDS

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm: the window is open
PEOPLE = 500
CHANNELS = [f"C0TEAM{i:03d}" for i in range(8)]
LEASE = timedelta(minutes=2)


@dataclass
class Seeded:
    notification_of_frist: dict[int, int]  # frist id (the post's metadata) -> notification id

    @property
    def due(self) -> set[int]:
        return set(self.notification_of_frist.values())


@dataclass
class KillableMessenger:
    """A worker's messenger that "dies" right after Slack recorded its `die_on`-th post: the
    answer never reaches the worker (the test then cancels the worker's task)."""

    inner: SlackMessenger
    die_on: int
    posted: list[str] = field(default_factory=list)  # ts of each post Slack recorded
    first_post: asyncio.Event = field(default_factory=asyncio.Event)
    dying: asyncio.Event = field(default_factory=asyncio.Event)

    async def open_direct(self, user_id: str) -> str:
        return await self.inner.open_direct(user_id)

    async def user_by_email(self, email: str) -> str:
        return await self.inner.user_by_email(email)

    async def post(self, channel: str, message: Message) -> str:
        ts = await self.inner.post(channel, message)
        self.posted.append(ts)
        self.first_post.set()
        if len(self.posted) >= self.die_on:
            self.dying.set()
            await asyncio.Future()  # hangs until the task is cancelled
        return ts


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        for i in range(PEOPLE):
            standin.add_user(user_of(i))
        for channel in CHANNELS:
            standin.add_channel(channel)
        standin.add_channel("C0ESKALER")
        yield standin


def user_of(i: int) -> str:
    return f"U{i:08d}"


async def seed(engine, n: int) -> Seeded:
    """N due notifications for min(N, 500) handläggare; every 10th goes to a channel."""
    return Seeded(
        await seed_due_reminders(
            engine, n, due=NOW - timedelta(minutes=5), user_of=user_of, channels=CHANNELS
        )
    )


async def worker_engine_factory(engine):
    """Engines of their own on the fixture's database (what another bot process would have):
    the same SQLite file, or the same PostgreSQL schema through search_path."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return lambda: create_engine(url)
    async with engine.connect() as connection:
        schema = (await connection.execute(text("select current_schema()"))).scalar_one()
    return lambda: create_engine(url, connect_args={"server_settings": {"search_path": schema}})


@contextlib.asynccontextmanager
async def workers(engine, settings, clock, slack, k: int, kill: int | None = None):
    """K delivery workers on the fixture's database. With `kill`, the first worker's
    messenger dies after that many posts."""
    new_engine = await worker_engine_factory(engine)

    def wrap(i: int, messenger: SlackMessenger):
        return KillableMessenger(messenger, kill) if kill is not None and i == 0 else messenger

    async with delivery_workers(
        settings, clock, slack.url, new_engine, k, lease=LEASE, wrap=wrap
    ) as crew:
        yield crew


async def notifications(engine) -> list[Notification]:
    async with transaction(session_factory(engine)) as session:
        result = await session.execute(select(Notification).order_by(Notification.id))
        return list(result.scalars().all())


def delivered(seeded: Seeded, posts: list[Post]) -> Counter[int]:
    """Notification id of every recorded chat.postMessage, from the message metadata."""
    return Counter(
        seeded.notification_of_frist[int(post.metadata["event_payload"]["frist"])]
        for post in posts
        if post.metadata is not None
    )


# ---- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize("k", [1, 4, 16])
@pytest.mark.parametrize("n", [1, 64, 500])
async def test_each_row_sent_once(engine, settings, clock, slack, n, k):
    seeded = await seed(engine, n)
    async with workers(engine, settings, clock, slack, k) as crew:
        first = await run_round([w.delivery for w in crew])
        again = await run_round([w.delivery for w in crew])  # nothing left to do

    rows = await notifications(engine)
    posts = list(slack.posts)
    copies = delivered(seeded, posts)

    assert [p for p in posts if p.metadata is None] == []
    assert copies == Counter(seeded.due)  # every due row exactly once, nothing else
    assert len(posts) == n
    assert first.sent == n and again.sent == 0
    assert all(r.duplicates == 0 and not r.errors for r in first.results)
    assert {r.id for r in rows} == seeded.due
    assert Counter(r.state for r in rows) == {"sent": n}
    assert [r.id for r in rows if r.possible_duplicate] == []
    assert all(r.attempts == 1 and r.claimed_by is None for r in rows)
    # The recorded message id is the post that carried the row.
    assert {(r.channel, r.message_ts) for r in rows} == {(p.channel, p.ts) for p in posts}


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize(("n", "k"), [(64, 4), (64, 16)])
async def test_killed_worker_rows_sent_after_lease(engine, settings, clock, slack, n, k):
    seeded = await seed(engine, n)
    die_on = 3
    async with workers(engine, settings, clock, slack, k, kill=die_on) as crew:
        victim, survivors = crew[0], crew[1:]
        assert isinstance(victim.messenger, KillableMessenger)
        # The victim claims first (its first post proves the claim), then everyone runs.
        victim_task = asyncio.create_task(victim.delivery.run_once())
        claimed = asyncio.create_task(victim.messenger.first_post.wait())
        await asyncio.wait([victim_task, claimed], return_when=asyncio.FIRST_COMPLETED)
        claimed.cancel()
        others = asyncio.gather(*(w.delivery.run_once() for w in survivors))
        await victim.messenger.dying.wait()
        posted_by_victim = {p.ts for p in slack.posts if p.ts in victim.messenger.posted}
        victim_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim_task
        await others

        before = await notifications(engine)
        stranded = {r.id for r in before if r.state == "sending"}
        assert {r.claimed_by for r in before if r.state == "sending"} == {"w0"}
        hanging = delivered(seeded, [p for p in slack.posts if p.ts == victim.messenger.posted[-1]])

        clock.advance(LEASE + timedelta(seconds=1))
        second = await run_round([w.delivery for w in survivors])

    rows = await notifications(engine)
    posts = list(slack.posts)
    copies = delivered(seeded, posts)
    duplicates = {nid for nid, c in copies.items() if c > 1}

    assert len(posted_by_victim) == die_on
    assert set(hanging) <= stranded  # posted, answer lost with the worker: still `sending`
    assert len(stranded) > 1
    assert Counter(r.state for r in rows) == {"sent": n}
    assert set(copies) == seeded.due  # every row reached Slack
    # The only copy is the post Slack recorded before the kill, and it is flagged.
    assert duplicates == set(hanging)
    assert all(copies[nid] == 2 for nid in duplicates)
    assert len(posts) == n + len(duplicates)
    flagged = {r.id for r in rows if r.possible_duplicate}
    assert duplicates <= flagged
    # Only the row that may have reached Slack is flagged; the rest of the dead worker's
    # batch was never posted and goes out after the lease as an ordinary message.
    assert flagged == set(hanging)
    assert second.sent == len(stranded)
    assert sum(r.duplicates for r in second.results) == len(hanging)


class ClaimThenHang:
    """An outbox store whose claim takes the rows and then hangs before the commit."""

    def __init__(self, outbox, reached: asyncio.Event) -> None:
        self.outbox = outbox
        self.reached = reached

    def __getattr__(self, name: str):
        return getattr(self.outbox, name)

    async def claim(self, *args, **kwargs):
        await self.outbox.claim(*args, **kwargs)
        self.reached.set()
        await asyncio.Future()  # hangs until the task is cancelled


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_worker_killed_inside_its_claim_leaves_nothing_stranded(
    engine, settings, clock, slack
):
    """Killed before its claim committed: the claim rolls back (and on SQLite the write lock
    is released), so the rows are plain pending rows again: sent once, nothing flagged."""
    n, k = 64, 4
    seeded = await seed(engine, n)
    async with workers(engine, settings, clock, slack, k) as crew:
        victim, survivors = crew[0], crew[1:]
        reached = asyncio.Event()
        unit_of_work = victim.delivery.unit_of_work

        @contextlib.asynccontextmanager
        async def hanging_unit_of_work():
            async with unit_of_work() as uow:
                yield dataclasses.replace(uow, outbox=ClaimThenHang(uow.outbox, reached))

        victim.delivery.unit_of_work = hanging_unit_of_work
        victim_task = asyncio.create_task(victim.delivery.run_once())
        await reached.wait()
        others = asyncio.gather(*(w.delivery.run_once() for w in survivors))
        for _ in range(10):  # let the others start (and block on SQLite's write lock)
            await asyncio.sleep(0)
        victim_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim_task
        await others
        await run_round([w.delivery for w in survivors])  # rows the victim had locked

    rows = await notifications(engine)
    copies = delivered(seeded, slack.posts)
    assert copies == Counter(seeded.due)
    assert Counter(r.state for r in rows) == {"sent": n}
    assert [r.id for r in rows if r.possible_duplicate] == []
    assert all(r.attempts == 1 for r in rows)


@dataclass
class SlowMessenger:
    """Slack answers every post, but only after `latency` (the test clock moves); `meanwhile`
    runs once, when the first claim's lease has run out."""

    inner: SlackMessenger
    clock: FixedClock
    latency: timedelta
    lease_ends: datetime
    meanwhile: Callable[[], Awaitable[object]]
    posted: list[str] = field(default_factory=list)  # ts of each post Slack recorded
    in_flight: str | None = None  # ts of the post whose answer came after the lease ended

    async def open_direct(self, user_id: str) -> str:
        return await self.inner.open_direct(user_id)

    async def user_by_email(self, email: str) -> str:
        return await self.inner.user_by_email(email)

    async def post(self, channel: str, message: Message) -> str:
        ts = await self.inner.post(channel, message)
        self.posted.append(ts)
        self.clock.advance(self.latency)
        if self.in_flight is None and self.clock.now() >= self.lease_ends:
            self.in_flight = ts
            await self.meanwhile()
        return ts


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_slow_worker_does_not_post_rows_it_no_longer_holds(engine, settings, clock, slack):
    """Slack answers slowly (9 s a post, inside the client's 10 s timeout): a batch of 20 takes
    longer than the 2-minute lease. Rows still waiting in the batch may expire and be taken
    over by another worker (or the whole batch's lease may be renewed: either is fine), but the
    slow worker must not then post rows it no longer holds. The only copy allowed is a post
    that was in flight when the lease ran out, and it must be flagged."""
    n = DeliveryPolicy().batch
    seeded = await seed(engine, n)
    async with workers(engine, settings, clock, slack, 2) as crew:
        slow, other = crew

        async def other_worker_runs() -> None:
            await other.delivery.run_once()

        slow.delivery.messenger = SlowMessenger(
            slow.messenger, clock, timedelta(seconds=9), NOW + LEASE, other_worker_runs
        )
        await slow.delivery.run_once()

    rows = await notifications(engine)
    posts = list(slack.posts)
    copies = delivered(seeded, posts)
    messenger = slow.delivery.messenger
    assert isinstance(messenger, SlowMessenger) and messenger.in_flight is not None
    in_flight = set(delivered(seeded, [p for p in posts if p.ts == messenger.in_flight]))
    duplicates = {nid for nid, c in copies.items() if c > 1}
    flagged = {r.id for r in rows if r.possible_duplicate}

    assert Counter(r.state for r in rows) == {"sent": n}
    assert set(copies) == seeded.due
    assert duplicates <= in_flight, (
        f"{len(duplicates)} rows posted twice; only the post in flight at the end of the "
        f"lease may be: the slow worker posted rows it no longer held"
    )
    assert duplicates <= flagged
