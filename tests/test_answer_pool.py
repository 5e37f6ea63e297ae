"""The answer pool under overload, through the real Bolt app over HTTP: every request is
acknowledged, every person answered or told at once to try again, nothing lost; and what the
pool counts reaches /healthz and `frister status`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.runtime import Runtime
from bot.services.answer_pool import AnswerCounts, AnswerPool, housekeeping
from bot.services.selfaudit import SelfAudit
from bot.testing.slack_requests import SlackSender
from bot.testing.slack_standin import SlackStandIn
from handlers.slack.app import build
from handlers.slack.messenger import SlackMessenger, make_client
from tests.factories import add_person
from tests.test_cli import run

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANNA = "U0ANNA001"
BUSY = "Frister har mycket att göra just nu — försök igen om en minut."
ANSWER = "Dina försenade frister. Inget är försenat. Bra jobbat!"
WORKERS, QUEUE, SENT = 2, 3, 24


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        standin.add_user(ANNA)
        yield standin


@pytest.fixture
async def app(settings, slack, engine, clock):
    await add_person(engine, ANNA, "handlaggare", "Barn och unga Nord")
    settings = settings.model_copy(
        update={
            "mode": "http",
            "http_port": 0,
            "slack_api_url": slack.url,
            "slack_signing_secret": SecretStr(SECRET),
            "slack_bot_token": SecretStr("xoxb-test"),
            "answer_workers": WORKERS,
            "answer_queue": QUEUE,
        }
    )
    app = App(settings, clock=clock, engine_override=engine)
    yield app
    await app.close()


@pytest.fixture
async def runtime(app, slack):
    async with aiohttp.ClientSession() as session:
        bolt = build(
            app.services(),
            client=AsyncWebClient(token="xoxb-test", base_url=slack.url, session=session),
            signing_secret=SECRET,
        )
        runtime = Runtime(app, SlackMessenger(make_client("xoxb-test", slack.url)), bolt)
        await runtime.start_web()
        await runtime.wait_for_database()  # /healthz answers 503 until the database did
        yield runtime
        await runtime.stop()


async def test_burst_beyond_the_queue(app, slack, runtime):
    sender = SlackSender(f"http://127.0.0.1:{runtime.port}/slack/events", SECRET, slack)
    slack.hold_responses()  # the workers' first answers stay in flight: the queue fills
    try:
        acks = await asyncio.gather(*(sender.command(ANNA, "försenade") for _ in range(SENT)))
        slack.release()
        assert all(status == 200 for status, _body in acks)  # every request acknowledged
        shed = [body for _status, body in acks if body]
        assert shed and all(body == BUSY for body in shed)  # told at once, in the ack
        queued = SENT - len(shed)
        assert QUEUE <= queued <= WORKERS + QUEUE  # the queue, and what the workers took
        async with asyncio.timeout(10):
            await app.answer_pool.idle()  # every queued answer posted
        assert [r.text for r in slack.responses] == [ANSWER] * queued
        assert app.answer_pool.counts() == AnswerCounts(answered=queued, shed=len(shed))
        async with sender.session.get(f"http://127.0.0.1:{runtime.port}/healthz") as response:
            answers = (await response.json())["checks"]["answers"]
        assert answers == {"ok": True, "answered": queued, "shed": len(shed), "failed": 0}
    finally:
        await sender.close()
    assert len(slack.responses) == queued  # nothing more came later


async def test_workers_never_outnumber_the_connections(settings):
    app = App(settings.model_copy(update={"answer_workers": 50}))
    try:
        assert app.answer_pool.workers == 5  # SQLAlchemy's default pool size
    finally:
        await app.close()


async def test_failing_job_is_counted_and_the_pool_goes_on():
    pool = AnswerPool(workers=1, queue_size=1)
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("broken")

    async def works() -> None:
        done.append("ok")

    with pytest.raises(RuntimeError):
        await pool.run(fails)
    assert await pool.run(works)
    await pool.stop()
    assert done == ["ok"] and pool.counts() == AnswerCounts(answered=1, failed=1)
    assert not pool.submit(works) and pool.counts().shed == 1  # stopped: shed, not lost


async def test_stopping_leaves_no_caller_waiting():
    pool = AnswerPool(workers=1, queue_size=2)
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        started.set()
        await never.wait()

    first = asyncio.create_task(pool.run(stuck))
    await started.wait()
    second = asyncio.create_task(pool.run(stuck))
    await asyncio.sleep(0)  # one yield (no waiting): `second` queues behind the stuck one
    await pool.stop(drain=0)
    async with asyncio.timeout(5):
        for waiting in (first, second):
            with pytest.raises(asyncio.CancelledError):
                await waiting


async def test_tick_forgets_old_keys_and_records_counts(app, clock):
    chat = app.chat()
    assert await chat.remember("req:a")
    assert not await chat.remember("req:a")  # a replay within the window
    clock.set(clock.now() + timedelta(minutes=10))
    await housekeeping(
        app.unit_of_work,
        clock,
        replay_window=timedelta(minutes=5),
        worker="host:1",
        counts=AnswerCounts(answered=7, shed=2, failed=1),
    )
    async with app.unit_of_work() as uow:
        assert await uow.chat.first_time("req:a", clock.now(), timedelta(minutes=5))
    audit = SelfAudit(app.unit_of_work, clock, timedelta(minutes=1))
    answers = (await audit.check()).checks["answers"]
    assert answers == {"ok": True, "answered": 7, "shed": 2, "failed": 1}


async def test_expired_key_counts_as_new_before_it_is_forgotten(app, clock):
    chat = app.chat()
    assert await chat.remember("req:b")
    clock.set(clock.now() + app.limits.replay_memory + timedelta(seconds=1))
    assert await chat.remember("req:b")  # not yet pruned, but older than the window
    assert not await chat.remember("req:b")


async def test_status_shows_the_counts(settings, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'status.db'}"
    app = App(settings.model_copy(update={"database_url": url}))
    try:
        await app.prepare_database()
        async with app.unit_of_work() as uow:  # not an empty database (that names a next step)
            await uow.cases.ensure_units(["Barn och unga Nord"], app.clock.now())
        counts = AnswerCounts(answered=7, shed=2, failed=1)
        window = timedelta(minutes=5)
        for worker in ("host:1", "host:2"):  # two processes: summed
            await housekeeping(
                app.unit_of_work, app.clock, replay_window=window, worker=worker, counts=counts
            )
    finally:
        await app.close()
    done = await asyncio.to_thread(run, tmp_path, "status", FRISTER_DATABASE_URL=url)
    expected = "Svar sedan start: 14 besvarade, 4 ombedda att försöka igen, 2 misslyckade."
    assert expected in done.stdout.splitlines()


async def test_answers_reuse_one_connection(app, slack, runtime):
    sender = SlackSender(f"http://127.0.0.1:{runtime.port}/slack/events", SECRET, slack)
    try:
        for _ in range(3):
            await sender.command(ANNA, "hjälp")
            async with asyncio.timeout(10):
                await app.answer_pool.idle()
    finally:
        await sender.close()
    assert len(slack.responses) == 3
    assert len({r.peer for r in slack.responses}) == 1  # not a new TCP connection per answer


async def test_a_job_that_would_wait_too_long_is_shed():
    now = [0.0]
    pool = AnswerPool(workers=1, queue_size=10, max_wait=1.0, timer=lambda: now[0])
    started, release = asyncio.Event(), asyncio.Event()

    async def takes_two_seconds() -> None:
        now[0] += 2.0

    async def stuck() -> None:
        started.set()
        await release.wait()

    async def quick() -> None:
        pass

    assert await pool.run(takes_two_seconds)  # the pool learns: a job takes 2 s
    assert pool.submit(stuck)
    await started.wait()  # the one worker is busy
    assert pool.submit(quick)  # first in the queue: it waits for the busy worker only
    assert pool.expected_wait() == 2.0
    assert not pool.submit(quick)  # behind it: about 2 s more, over max_wait
    assert pool.counts().shed == 1
    release.set()
    await pool.idle()
    assert pool.submit(quick)  # the queue is empty again
    await pool.stop()
    assert pool.counts() == AnswerCounts(answered=4, shed=1)
