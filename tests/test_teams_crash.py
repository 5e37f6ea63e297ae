"""Crash mid-send on Teams: `frister serve` with FRISTER_PLATFORM=teams (anonymous local mode,
loopback) as a subprocess on the test clock, the TeamsStandIn as the Bot Connector at the stored
addresses' serviceUrl, a real database. The same kill test as tests/test_crash.py does for
Slack: the connector records the first message and never answers, the bot is SIGKILLed,
restarted after its delivery lease ran out → nothing lost, exactly the one message Teams may
have twice is sent again, flagged "möjlig dubblett". Run with `pytest -s` to see the counts."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest

from bot.ports.addresses import Address
from bot.testing.clockshim import ShiftedClock, clock_env
from bot.testing.teams_standin import Fault, TeamsStandIn
from storage.addresses import SqlAddressBook
from storage.database import session_factory
from tests.conftest import TEST_KEY
from tests.factories import add_person, import_rows, set_escalation_channel
from tests.test_crash import (  # noqa: F401 (fixtures)
    LEASE,
    START,
    TODAY,
    Serve,
    clean_env,
    db,
    eventually,
    outbox,
    seeding,
    served_url,
)

TENANT = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
ESCALATION = "19:eskalering@thread.tacv2"
UNITS = {  # enhet -> (handläggare, chef), Entra object ids
    "Barn och unga Nord": (
        "00000000-0000-4000-8000-0000000000a1",
        "00000000-0000-4000-8000-0000000000c1",
    ),
    "Barn och unga Syd": (
        "00000000-0000-4000-8000-0000000000a2",
        "00000000-0000-4000-8000-0000000000c2",
    ),
    "Barn och unga Väst": (
        "00000000-0000-4000-8000-0000000000a3",
        "00000000-0000-4000-8000-0000000000c3",
    ),
}


def chat_of(user: str) -> str:
    return f"a:1on1-{user[-2:]}"


@pytest.fixture
async def teams():
    async with TeamsStandIn(tenant_id=TENANT) as standin:
        for pair in UNITS.values():
            for user in pair:
                standin.add_user(user)
                standin.add_conversation(chat_of(user), (user,), personal=True)
        standin.add_conversation(ESCALATION)
        yield standin


@pytest.fixture
def launch(tmp_path, served_url, teams):  # noqa: F811 (the fixture imported above)
    """`frister serve` on Teams (anonymous, loopback, port 0) on the test clock."""
    started: list[Serve] = []

    def start(clock: ShiftedClock) -> Serve:
        settings = dict(
            FRISTER_PLATFORM="teams",
            FRISTER_TEAMS_AUTH="anonymous",
            FRISTER_HTTP_HOST="127.0.0.1",
            FRISTER_HTTP_PORT="0",
            FRISTER_TICK_SECONDS="5",
            FRISTER_DELIVERY_SECONDS="0.2",
            FRISTER_DELIVERY_LEASE_SECONDS=str(int(LEASE.total_seconds())),
            FRISTER_DATABASE_URL=served_url,
            FRISTER_PSEUDONYM_KEY=TEST_KEY,
            FRISTER_LOG_LEVEL="INFO",
        )
        env = clean_env(**settings)
        env.update(clock_env(tmp_path / "shim", clock, env["PYTHONPATH"]))
        serve = Serve(tmp_path, env)
        started.append(serve)
        return serve

    yield start
    for serve in started:
        if serve.proc.poll() is None:
            serve.proc.kill()
            serve.proc.wait(timeout=5)


async def seed(engine, teams: TeamsStandIn) -> None:
    """Staff and where Teams reaches them (as their installs stored it)."""
    book = SqlAddressBook(session_factory(engine))
    for enhet, (handlaggare, chef) in UNITS.items():
        await add_person(engine, handlaggare, "handlaggare", enhet)
        await add_person(engine, chef, "chef", enhet)
        await set_escalation_channel(engine, enhet, ESCALATION)
        for user in (handlaggare, chef):
            await book.remember(
                Address("teams", user, chat_of(user), teams.url, TENANT, START - timedelta(days=1))
            )
    await book.remember(
        Address("teams", ESCALATION, ESCALATION, teams.url, TENANT, START - timedelta(days=1))
    )


def frist_of(sent) -> str | None:
    """The deadline a reminder card is about (its Klar button's value)."""
    for action in (sent.card or {}).get("actions") or []:
        if action.get("verb") == "frist_klar":
            return str(action["data"]["value"])
    return None


async def test_crash_mid_send_on_teams(db, seeding, teams, launch):  # noqa: F811
    await seed(db, teams)
    await import_rows(
        seeding(START),
        *[
            (f"IFO {n}", enhet, handlaggare, "anmalan_inkom", TODAY)
            for n, (enhet, (handlaggare, _chef)) in enumerate(UNITS.items(), start=1)
        ],
    )
    clock = ShiftedClock(START)

    # 1. The connector records the first message, its answer never comes: SIGKILL.
    teams.inject(Fault.hang_after_record(), route="send")
    first = launch(clock)
    await eventually(lambda: teams.activities, "the first message reaching Teams", first)
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    (received,) = teams.activities
    rows = await outbox(db)
    assert rows and {r.state for r in rows} == {"sending"}, [(r.recipient, r.state) for r in rows]

    # 2. Restarted once the lease has run out: everything is delivered.
    teams.release()
    clock.jump(LEASE + timedelta(seconds=5))
    second = launch(clock)

    async def all_sent() -> bool:
        return all(r.state == "sent" for r in await outbox(db))

    await eventually(all_sent, "every reminder recorded as sent", second)
    assert await second.stop(signal.SIGTERM) == 0

    rows = await outbox(db)
    messages = Counter((s.conversation_id, frist_of(s)) for s in teams.activities)
    expected = {(r.channel, str(r.frist_id)) for r in rows}
    assert set(messages) == expected  # every row reached Teams, nothing else did
    duplicates = {key: n - 1 for key, n in messages.items() if n > 1}
    assert duplicates == {(received.conversation_id, frist_of(received)): 1}
    flagged = [r for r in rows if r.possible_duplicate]
    assert len(flagged) == 1
    (twice,) = flagged
    resend = next(s for s in teams.activities if s.id == twice.message_ts)
    assert "möjlig dubblett" in resend.text
    assert "möjlig dubblett" not in received.text
    warned = [s for s in teams.activities if "möjlig dubblett" in s.text]
    assert warned == [resend]
    assert teams.protocol_errors == []
    figures = {
        "reminders": len(rows),
        "messages to Teams": len(teams.activities),
        "lost": len(expected - set(messages)),
        "duplicates": sum(duplicates.values()),
        "flagged möjlig dubblett": len(flagged),
    }
    print(f"\nTeams crash mid-send: {figures}")
    assert figures["lost"] == 0 and figures["duplicates"] == figures["flagged möjlig dubblett"] == 1
