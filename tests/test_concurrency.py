"""Concurrent delivery: K workers, each its own App and engine on one database, deliver N due
outbox rows through the local Slack stand-in (real HTTP). Every row is posted exactly once when
all is healthy; a worker killed mid-run leaves its rows to the lease, and the only copies are
the ones it may already have posted, flagged "möjlig dubblett"; a slow worker that outlives its
lease must not post rows another worker took over.

Timing per case is printed (run with -s to see it); nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.domain.messages import Message
from bot.services.delivery import Delivery, DeliveryPolicy, DeliveryResult
from bot.standin import Post, SlackStandIn
from handlers.slack.messenger import SlackMessenger, make_client
from storage.database import create_engine, session_factory, transaction
from storage.models import Arende, Enhet, Frist, Handelse, Notification, Person
from tests.conftest import BACKENDS

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
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
class Round:
    results: list[DeliveryResult | BaseException]
    seconds: float

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results if isinstance(r, DeliveryResult))


@dataclass
class Worker:
    app: App
    delivery: Delivery
    messenger: SlackMessenger | KillableMessenger


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
    """N due notifications, one per deadline (so a post's metadata names its row), for
    min(N, 500) handläggare; every 10th goes to a channel instead of a person. Plain
    executemany inserts (RETURNING with parameter order runs row by row on SQLite), then the
    ids are read back by their natural keys."""
    people = min(n, PEOPLE)
    trigger, last_day, due = date(2026, 11, 20), date(2026, 12, 4), NOW - timedelta(minutes=5)
    async with engine.begin() as connection:

        async def ids(column, key) -> dict:
            return dict((await connection.execute(select(key, column))).all())

        await connection.execute(
            insert(Enhet),
            [
                {
                    "name": "Barn och unga Nord",
                    "escalation_channel": "C0ESKALER",
                    "created_at": EPOCH,
                }
            ],
        )
        (enhet_id,) = (await ids(Enhet.id, Enhet.name)).values()
        await connection.execute(
            insert(Person),
            [
                {
                    "chat_user_id": user_of(i),
                    "role": "handlaggare",
                    "enhet_id": enhet_id,
                    "active": True,
                    "created_at": EPOCH,
                }
                for i in range(people)
            ],
        )
        person = await ids(Person.id, Person.chat_user_id)
        person_ids = [person[user_of(i)] for i in range(people)]
        await connection.execute(
            insert(Arende),
            [
                {
                    "code": f"K{i:07d}",
                    "enhet_id": enhet_id,
                    "handlaggare_id": person_ids[i % people],
                    "origin": "import",
                    "opened_at": EPOCH,
                }
                for i in range(n)
            ],
        )
        case = await ids(Arende.id, Arende.code)
        case_ids = [case[f"K{i:07d}"] for i in range(n)]
        await connection.execute(
            insert(Handelse),
            [
                {
                    "arende_id": case_id,
                    "type": "anmalan_inkom",
                    "date": trigger,
                    "source": "import",
                    "registered_at": EPOCH,
                }
                for case_id in case_ids
            ],
        )
        event = await ids(Handelse.id, Handelse.arende_id)
        await connection.execute(
            insert(Frist),
            [
                {
                    "arende_id": case_id,
                    "rule_id": "forhandsbedomning",
                    "trigger_handelse_id": event[case_id],
                    "occurrence": 1,
                    "trigger_date": trigger,
                    "calendar_last_day": last_day,
                    "last_day": last_day,
                    "status": "open",
                    "created_at": EPOCH,
                    "updated_at": EPOCH,
                }
                for case_id in case_ids
            ],
        )
        frist = await ids(Frist.id, Frist.arende_id)
        frist_ids = [frist[case_id] for case_id in case_ids]
        await connection.execute(
            insert(Notification),
            [
                {
                    "frist_id": frist_id,
                    "step": "pam:-7d:handlaggare",
                    "recipient": (
                        f"channel:{CHANNELS[i % len(CHANNELS)]}"
                        if i % 10 == 0
                        else f"person:{person_ids[i % people]}"
                    ),
                    "due_at": due,
                    "next_attempt_at": due,
                    "state": "pending",
                    "attempts": 0,
                    "late": False,
                    "uncertain": False,
                    "possible_duplicate": False,
                    "created_at": EPOCH,
                }
                for i, frist_id in enumerate(frist_ids)
            ],
        )
        notification = await ids(Notification.id, Notification.frist_id)
    return Seeded({frist_id: notification[frist_id] for frist_id in frist_ids})


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
    """K delivery workers, each with its own App, engine and Slack client. With `kill`, the
    first worker's messenger dies after that many posts."""
    new_engine = await worker_engine_factory(engine)

    async def sleep(seconds: float) -> None:  # pacing moves the test clock, never sleeps
        clock.advance(timedelta(seconds=seconds))

    made: list[Worker] = []
    try:
        for i in range(k):
            app = App(settings, clock=clock, engine_override=new_engine())
            messenger = SlackMessenger(make_client(f"xoxb-w{i}", slack.url, timeout=60))
            if kill is not None and i == 0:
                messenger = KillableMessenger(messenger, kill)
            delivery = app.delivery(
                messenger, worker=f"w{i}", sleep=sleep, policy=DeliveryPolicy(pace=0, lease=LEASE)
            )
            made.append(Worker(app, delivery, messenger))
        yield made
    finally:
        for worker in made:
            await worker.app.engine.dispose()


async def run_round(deliveries: list[Delivery]) -> Round:
    start = time.perf_counter()
    results = await asyncio.gather(*(d.run_once() for d in deliveries))
    return Round(list(results), time.perf_counter() - start)


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


def report(label: str, **figures) -> None:
    print(f"\n[{label}] " + " ".join(f"{k}={v}" for k, v in figures.items()))


# ---- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize("k", [1, 4, 16])
@pytest.mark.parametrize("n", [1, 64, 5000])
async def test_each_row_sent_once(engine, settings, clock, slack, n, k):
    start = time.perf_counter()
    seeded = await seed(engine, n)
    seeding = time.perf_counter() - start

    async with workers(engine, settings, clock, slack, k) as crew:
        first = await run_round([w.delivery for w in crew])
        again = await run_round([w.delivery for w in crew])  # nothing left to do

    rows = await notifications(engine)
    posts = list(slack.posts)
    copies = delivered(seeded, posts)
    per_worker = sorted(
        (r.sent for r in first.results if isinstance(r, DeliveryResult)), reverse=True
    )
    report(
        f"{n}x{k}x{engine.dialect.name}",
        seed=f"{seeding:.2f}s",
        deliver=f"{first.seconds:.2f}s",
        rows_per_s=f"{n / first.seconds:.0f}",
        posts=len(posts),
        duplicates=sum(c - 1 for c in copies.values() if c > 1),
        per_worker=per_worker,
    )

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
        start = time.perf_counter()
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
        first = Round(list(await others), time.perf_counter() - start)

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
    report(
        f"kill {n}x{k}x{engine.dialect.name}",
        deliver=f"{first.seconds:.2f}s",
        after_lease=f"{second.seconds:.2f}s",
        stranded=len(stranded),
        posts=len(posts),
        duplicates=sum(c - 1 for c in copies.values() if c > 1),
        flagged=sum(r.possible_duplicate for r in rows),
    )

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
        takeover: list[DeliveryResult] = []

        async def other_worker_runs() -> None:
            takeover.append(await other.delivery.run_once())

        slow.delivery.messenger = SlowMessenger(
            slow.messenger, clock, timedelta(seconds=9), NOW + LEASE, other_worker_runs
        )
        slow_result = await slow.delivery.run_once()

    rows = await notifications(engine)
    posts = list(slack.posts)
    copies = delivered(seeded, posts)
    messenger = slow.delivery.messenger
    assert isinstance(messenger, SlowMessenger) and messenger.in_flight is not None
    in_flight = set(delivered(seeded, [p for p in posts if p.ts == messenger.in_flight]))
    duplicates = {nid for nid, c in copies.items() if c > 1}
    flagged = {r.id for r in rows if r.possible_duplicate}
    report(
        f"slow worker {engine.dialect.name}",
        posts=len(posts),
        taken_over=takeover[0].sent,
        duplicates=sum(c - 1 for c in copies.values() if c > 1),
        flagged=len(flagged),
        slow_worker_sent=slow_result.sent,
    )

    assert Counter(r.state for r in rows) == {"sent": n}
    assert set(copies) == seeded.due
    assert duplicates <= in_flight, (
        f"{len(duplicates)} rows posted twice; only the post in flight at the end of the "
        f"lease may be: the slow worker posted rows it no longer held"
    )
    assert duplicates <= flagged
