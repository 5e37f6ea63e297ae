"""`frister serve` for real: a subprocess, the Slack stand-in over HTTP, a real database.

A crash between Slack's receipt of a message and the commit of its outcome, restarts,
the health endpoint and the refusal to start without the Slack settings.

Time. The bot reads the time from `bot.clock.SystemClock`, and whether anything is sent at
all depends on it: reminders go to people only on Swedish working days between 08:00 and
18:00 (FRISTER_SEND_UNTIL), and the planner holds back *every* row (channels too) until the
sending window opens. With the real clock these tests would pass on a Monday morning and
send nothing on a Saturday, a public holiday or in the evening. So the subprocess runs with a
test clock (bot/testing/clockshim.py): a `sitecustomize` module (written to a temporary folder
put first on PYTHONPATH) replaces `SystemClock.now` with "START + wall time elapsed since the
launch", where START is given by the test in FRISTER_TEST_CLOCK. The bot is otherwise
untouched and started as `python -m bot.cli serve`; its clock runs in real time from Monday
23 November 2026 10:00 (Stockholm), a working day inside the default window, whatever the real
date is. A restart can start later on that clock: that is how a test lets a delivery lease run
out without waiting for it (no sleeping while domain time passes, no writing `claimed_until`
by hand).

PostgreSQL. The subprocess knows its database only by FRISTER_DATABASE_URL, and asyncpg
takes no `search_path` in the URL, so the per-test schema of the `engine` fixture cannot be
handed over. Instead each test gets a fresh database (CREATE DATABASE on the server of
FRISTER_TEST_DATABASE_URL), migrated with `upgrade()` as `frister db upgrade` would, and
dropped afterwards.

Waiting. Every wait polls for an observable event (a log line, a request the stand-in
recorded, a row state) with a bounded deadline; every subprocess is killed at teardown.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.testing.clockshim import ShiftedClock, clock_env
from bot.testing.databases import throwaway_postgres
from bot.testing.faults import Process
from bot.testing.slack_standin import Fault, SlackStandIn
from storage.database import create_engine, session_factory, transaction, upgrade
from storage.models import Notification, RuntimeState
from tests.conftest import TEST_KEY
from tests.factories import add_person, import_rows, set_escalation_channel

ROOT = Path(__file__).resolve().parents[1]
STHLM = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 11, 23, 10, 0, tzinfo=STHLM)  # a Monday, a working day
TODAY = START.date()
LEASE = timedelta(seconds=60)  # FRISTER_DELIVERY_LEASE_SECONDS for the subprocess
WAIT = 30.0  # seconds: the bound of every wait for the subprocess (a loaded machine)
UNITS = {  # enhet -> (handläggare, chef); one DM channel each, so no per-channel pacing
    "Barn och unga Nord": ("U0HANDL01", "U0CHEF001"),
    "Barn och unga Syd": ("U0HANDL02", "U0CHEF002"),
    "Barn och unga Väst": ("U0HANDL03", "U0CHEF003"),
}
HEALTH_LINE = re.compile(r"health on http://([\d.]+):(\d+)/healthz")


# ---- the test clock and the subprocess ---------------------------------------------------------


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without FRISTER_*/SLACK_*, the repository on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUTF8"] = "1"
    env.update(settings)
    return env


class Serve(Process):
    """One `python -m bot.cli serve` process; stderr is collected by a thread."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        super().__init__(["serve"], cwd, env)

    async def port(self) -> int:
        def found() -> int | None:
            self.check_running()
            for line in self.lines:
                if match := HEALTH_LINE.search(line):
                    return int(match.group(2))
            return None

        return await eventually(found, "the health line on stderr", self)


async def eventually(
    check: Callable[[], object] | Callable[[], Awaitable[object]],
    what: str,
    serve: Serve | None = None,
    timeout: float = WAIT,
):
    """Poll `check` (sync or async) every 0.05 s until it is truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if serve is not None:
            serve.check_running()
        if time.monotonic() > deadline:
            log = f"\n--- serve stderr ---\n{serve.log}" if serve is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{log}")
        await asyncio.sleep(0.05)


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def served_url(database_url, tmp_path):
    """A database only the test and its subprocesses use: a SQLite file, or a fresh
    PostgreSQL database on the test server (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
        return
    async with throwaway_postgres(database_url, prefix="frister_crash") as url:
        yield url


@pytest.fixture
async def db(served_url):
    """An engine on `served_url`, migrated (PostgreSQL: as `frister db upgrade` would)."""
    engine = create_engine(served_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        for handlaggare, chef in UNITS.values():
            standin.add_user(handlaggare)
            standin.add_user(chef)
        for channel in ("C0ESKALER", "C0PROBE01"):
            standin.add_channel(channel)
        yield standin


@pytest.fixture
def launch(tmp_path, served_url, slack):
    """Start `frister serve` (HTTP mode, port 0) on the test clock; killed at the end."""
    started: list[Serve] = []

    def start(clock: ShiftedClock, **extra: str) -> Serve:
        settings = dict(
            FRISTER_MODE="http",
            SLACK_SIGNING_SECRET="test",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.url,
            FRISTER_HTTP_PORT="0",
            FRISTER_TICK_SECONDS="5",
            FRISTER_DELIVERY_SECONDS="0.2",
            FRISTER_DELIVERY_LEASE_SECONDS=str(int(LEASE.total_seconds())),
            FRISTER_DATABASE_URL=served_url,
            FRISTER_PSEUDONYM_KEY=TEST_KEY,
            FRISTER_LOG_LEVEL="INFO",
        )
        env = clean_env(**(settings | extra))
        env.update(clock_env(tmp_path / "shim", clock, env["PYTHONPATH"]))
        serve = Serve(tmp_path, env)
        started.append(serve)
        return serve

    yield start
    for serve in started:
        if serve.proc.poll() is None:
            serve.proc.kill()
            serve.proc.wait(timeout=5)


@pytest.fixture
def seeding(settings, db, served_url):
    """An App on the served database for seeding, with a clock the test sets."""

    def make(at: datetime) -> App:
        return App(
            settings.model_copy(update={"database_url": served_url}),
            clock=FixedClock(at),
            engine_override=db,
        )

    return make


async def seed_units(engine) -> None:
    for enhet, (_handlaggare, chef) in UNITS.items():
        await add_person(engine, chef, "chef", enhet)
        await set_escalation_channel(engine, enhet, "C0ESKALER")


async def outbox(engine) -> list[Notification]:
    async with transaction(session_factory(engine)) as session:
        rows = await session.execute(select(Notification).order_by(Notification.id))
        return list(rows.scalars().all())


def frist_of(post) -> int | None:
    payload = (post.metadata or {}).get("event_payload") or {}
    return int(payload["frist"]) if "frist" in payload else None


async def healthz(port: int) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)
        ) as response,
    ):
        return response.status, json.loads(await response.text())


# ---- crash between Slack's receipt and the commit ----------------------------------------------


async def test_crash_between_receipt_and_commit(db, seeding, slack, launch):
    """Three skyddsbedömningar due today, each with a handläggare reminder and a chef
    escalation: six reminders, six DM channels. Slack records the first post and never
    answers; the bot is SIGKILLed. Restarted after its delivery lease (60 s) ran out, it
    sends all six: one duplicate, flagged "möjlig dubblett". Restarted once more, it sends
    nothing again."""
    await seed_units(db)
    await import_rows(
        seeding(START),
        *[
            (f"IFO {n}", enhet, handlaggare, "anmalan_inkom", TODAY)
            for n, (enhet, (handlaggare, _chef)) in enumerate(UNITS.items(), start=1)
        ],
    )
    recipients = {user for pair in UNITS.values() for user in pair}
    clock = ShiftedClock(START)

    # 1. Slack receives the first post, its answer never comes: SIGKILL.
    slack.inject("chat.postMessage", Fault.hang_after_record())
    first = launch(clock)
    launched_at = clock.now()
    await eventually(lambda: slack.posts, "the first post reaching Slack", first)
    crashed_at = clock.now()
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    assert len(slack.calls_to("chat.postMessage")) == len(slack.posts) == 1
    (received,) = slack.posts
    rows = await outbox(db)
    assert len(rows) == 6, [(r.step, r.recipient, r.state) for r in rows]
    assert {r.state for r in rows} == {"sending"}  # claimed, nothing recorded as sent
    for row in rows:  # the lease comes from FRISTER_DELIVERY_LEASE_SECONDS
        assert launched_at + LEASE - timedelta(seconds=1) <= row.claimed_until
        assert row.claimed_until <= crashed_at + LEASE + timedelta(seconds=1)

    # 2. Restart once the lease has run out: everything is delivered.
    slack.release()
    clock.jump(LEASE + timedelta(seconds=5))
    second = launch(clock)

    async def all_sent() -> bool:
        return all(r.state == "sent" for r in await outbox(db))

    await eventually(all_sent, "every reminder recorded as sent", second)
    await second.stop(signal.SIGKILL)  # a hard stop again, after everything is committed

    rows = await outbox(db)
    by_key = {(r.channel, r.frist_id): r for r in rows}
    assert len(by_key) == len(rows) == 6
    posts = Counter((p.channel, frist_of(p)) for p in slack.posts)
    assert set(posts) == set(by_key)  # every post is one of the rows, every row was posted
    for user in recipients:
        assert len(slack.posts_to(user)) >= 1, user
    duplicates = {key: n - 1 for key, n in posts.items() if n > 1}
    assert duplicates == {(received.channel, frist_of(received)): 1}  # one crash, one duplicate
    twice = by_key[(received.channel, frist_of(received))]
    assert twice.possible_duplicate
    assert twice.message_ts != received.ts  # the resend's ts is the one recorded
    resend = next(p for p in slack.posts if p.ts == twice.message_ts)
    assert "möjlig dubblett" in (resend.text or "")
    assert "möjlig dubblett" not in (received.text or "")
    figures = {
        "reminders": len(rows),
        "posts": len(slack.posts),
        "duplicates": sum(duplicates.values()),
        "flagged": sum(r.possible_duplicate for r in rows),
    }

    # 3. Restart again (later than another lease): nothing is sent twice. A probe row, due
    # after all the others, is claimed last: once it is posted, the round that would have
    # re-sent anything is over.
    before = {r.id: (r.state, r.attempts, r.message_ts) for r in rows}
    posted = len(slack.posts)
    clock.jump(LEASE + timedelta(seconds=5))
    async with transaction(session_factory(db)) as session:
        session.add(
            Notification(
                frist_id=twice.frist_id,
                step=twice.step,
                recipient="channel:C0PROBE01",
                due_at=clock.now(),
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    third = launch(clock)
    await eventually(lambda: slack.posts_to("C0PROBE01"), "the probe post", third)
    assert await third.stop(signal.SIGTERM) == 0  # a clean shutdown on SIGTERM
    assert len(slack.posts) == posted + 1
    after = {r.id: (r.state, r.attempts, r.message_ts) for r in await outbox(db)}
    assert {k: v for k, v in after.items() if k in before} == before

    # 4. Only the message Slack may really have twice carries the warning: the other rows of
    # the crashed batch were claimed but never posted.
    flagged = sorted(r.id for r in rows if r.possible_duplicate)
    warned = sorted(r.id for r in rows if "möjlig dubblett" in (slack_text(slack, r) or ""))
    assert (flagged, warned) == ([twice.id], [twice.id]), (
        f"only row {twice.id} reached Slack twice, yet rows {flagged} are flagged "
        f"possible_duplicate and rows {warned} say 'möjlig dubblett' ({figures})"
    )


def slack_text(slack: SlackStandIn, row: Notification) -> str | None:
    post = next((p for p in slack.posts if p.ts == row.message_ts), None)
    return post.text if post else None


# ---- /healthz ----------------------------------------------------------------------------------


async def test_healthz(db, seeding, slack, launch):
    """503 while a reminder due an hour ago is not delivered (Slack holds the post), 200
    with {"ok": true} once it is; the planning tick runs before the endpoint opens."""
    await seed_units(db)
    enhet, (handlaggare, chef) = next(iter(UNITS.items()))
    # Planned an hour ago (the bot was down since): both rows are due at 09:00.
    hour_ago = seeding(START - timedelta(hours=1))
    await import_rows(hour_ago, ("IFO 1", enhet, handlaggare, "anmalan_inkom", TODAY))
    await hour_ago.planner().tick()
    assert len(await outbox(db)) == 2

    slack.inject("chat.postMessage", Fault.hang_after_record())
    serve = launch(ShiftedClock(START))
    port = await serve.port()
    await eventually(lambda: slack.posts, "the first post reaching Slack", serve)
    status, body = await healthz(port)
    assert status == 503, body
    assert body["ok"] is False
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["stuck"] == 2
    assert body["checks"]["scheduler"]["ok"] is True

    slack.release()

    async def healthy():
        return (await healthz(port))[0] == 200

    await eventually(healthy, "healthz 200", serve)
    status, body = await healthz(port)
    assert status == 200
    assert body["ok"] is True
    assert body["checks"]["scheduler"]["last_tick"] is not None
    assert body["checks"]["outbox"] == {
        "ok": True,
        "pending": 0,
        "stuck": 0,
        "oldest_due": None,
    }
    assert {r.state for r in await outbox(db)} == {"sent"}
    assert len(slack.posts_to(handlaggare)) == len(slack.posts_to(chef)) == 1
    async with transaction(session_factory(db)) as session:
        tick = await session.get(RuntimeState, "planner:last_tick")
    assert tick is not None and tick.updated_at >= START.astimezone(UTC)
    assert await serve.stop(signal.SIGTERM) == 0


async def test_healthz_revoked_token(db, seeding, slack, launch):
    """A token Slack refuses (invalid_auth) makes every send fail: 503, delivery not ok."""
    await seed_units(db)
    enhet, (handlaggare, _chef) = next(iter(UNITS.items()))
    await import_rows(seeding(START), ("IFO 1", enhet, handlaggare, "anmalan_inkom", TODAY))
    serve = launch(ShiftedClock(START), SLACK_BOT_TOKEN="xoxb-invalid")
    port = await serve.port()

    async def unhealthy():
        status, body = await healthz(port)
        return body if status == 503 and body["checks"]["delivery"]["fatal"] else None

    body = await eventually(unhealthy, "healthz 503 for invalid_auth", serve)
    assert body["ok"] is False
    assert body["checks"]["delivery"]["ok"] is False
    assert body["checks"]["delivery"]["fatal"][0] == "invalid_auth"
    assert slack.posts == []
    assert {r.last_error for r in await outbox(db) if r.state == "failed"} == {"invalid_auth"}
    assert await serve.stop(signal.SIGTERM) == 0


# ---- refusing to start -------------------------------------------------------------------------


REFUSALS = [  # (settings, the setting the one line must name)
    ({"FRISTER_MODE": "http", "SLACK_SIGNING_SECRET": "test"}, "SLACK_BOT_TOKEN"),
    ({"FRISTER_MODE": "http", "SLACK_BOT_TOKEN": "xoxb-test"}, "SLACK_SIGNING_SECRET"),
    ({"FRISTER_MODE": "socket", "SLACK_BOT_TOKEN": "xoxb-test"}, "SLACK_APP_TOKEN"),
]


def test_serve_refuses_without_token(tmp_path):
    """Exit 2 with one Swedish line naming the missing setting: no traceback, no database.
    The three cases run at once (each is mostly interpreter start-up)."""

    def refuse(index: int) -> tuple[Path, subprocess.CompletedProcess]:
        cwd = tmp_path / str(index)  # an empty folder: no .env
        cwd.mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=cwd,
            env=clean_env(FRISTER_PSEUDONYM_KEY=TEST_KEY, **REFUSALS[index][0]),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        return cwd, done

    with ThreadPoolExecutor(max_workers=len(REFUSALS)) as pool:
        results = list(pool.map(refuse, range(len(REFUSALS))))
    for (cwd, done), (given, missing) in zip(results, REFUSALS, strict=True):
        assert done.returncode == 2, (given, done.stderr)
        assert done.stdout == "", given
        assert "Traceback" not in done.stderr, given
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (given, done.stderr)
        assert missing in lines[0], (given, lines[0])
        assert lines[0].startswith("Inställningen ") and "saknas" in lines[0], lines[0]
        assert list(cwd.iterdir()) == [], given  # refused before creating ./frister.db
