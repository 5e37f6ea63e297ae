"""One contract for the Messenger port, run against each platform's messenger and stand-in over
real HTTP: what the delivery service relies on, whatever the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.domain.messages import Action, Message
from bot.ports.addresses import Address
from bot.ports.messenger import Messenger, PermanentFailure, RateLimited, TransientFailure
from bot.testing.addresses import MemoryAddressBook
from bot.testing.slack_standin import Fault as SlackFault
from bot.testing.slack_standin import SlackStandIn
from bot.testing.teams_standin import Fault as TeamsFault
from bot.testing.teams_standin import TeamsStandIn
from handlers.slack.messenger import SlackMessenger, make_client
from handlers.teams.messenger import TeamsMessenger

TIMEOUT = 2.0  # generous for a loaded machine; the slow fault outlasts it
MESSAGE = Message(
    text="Förhandsbedömning för DEMO-1001 ska vara klar i dag.",
    title="Förhandsbedömning i dag",
    fields=(("Ärende", "DEMO-1001"),),
    body=("Bedöm om utredning ska inledas.",),
    actions=(Action("frist_klar", "Klar", "17", style="primary"),),
    context="11 kap. 1 a § SoL",
)


@dataclass
class Rig:
    """A messenger, its stand-in, and the platform's way of causing each situation."""

    messenger: Messenger
    user: str  # reachable
    unknown: str  # not a user of the platform (or not reachable by Frister)
    delivered: Callable[[], list[str]]  # the plain texts that reached `user`
    rate_limit: Callable[[int], None]
    server_error: Callable[[], None]
    drop_after_delivery: Callable[[], None]
    slow: Callable[[], None]
    block: Callable[[str], None]  # the conversation refuses messages from now on


async def slack_rig() -> AsyncIterator[Rig]:
    async with SlackStandIn() as slack:
        slack.add_user("U1", "anna@example.se")
        messenger = SlackMessenger(make_client("xoxb-test", slack.url, timeout=TIMEOUT))

        def block(channel: str) -> None:
            slack.add_user(channel.removeprefix("D"), deleted=True)

        yield Rig(
            messenger=messenger,
            user="U1",
            unknown="U404",
            delivered=lambda: [p.text or "" for p in slack.posts_to("U1")],
            rate_limit=lambda s: slack.inject("chat.postMessage", SlackFault.rate_limit(s)),
            server_error=lambda: slack.inject("chat.postMessage", SlackFault.status(500)),
            drop_after_delivery=lambda: slack.inject(
                "chat.postMessage", SlackFault.reset_after_record()
            ),
            slow=lambda: slack.inject("chat.postMessage", SlackFault.timeout(30)),
            block=block,
        )


async def teams_rig() -> AsyncIterator[Rig]:
    async with TeamsStandIn() as teams:
        teams.add_user("aad-anna", "Anna Andersson")
        teams.add_user("aad-gone", "Gone")  # known to Teams, but Frister never saw them
        now = datetime(2026, 11, 23, 8, tzinfo=UTC)
        book = MemoryAddressBook(
            Address("teams", "aad-anna", "", teams.url, teams.tenant_id, now),
        )
        async with TeamsMessenger(book, bot_id=teams.bot_id, timeout=TIMEOUT) as messenger:
            yield Rig(
                messenger=messenger,
                user="aad-anna",
                unknown="aad-gone",
                delivered=lambda: [s.text for s in teams.sent_to("aad-anna")],
                rate_limit=lambda s: teams.inject(TeamsFault.rate_limit(s), route="send"),
                server_error=lambda: teams.inject(TeamsFault.status_code(500), route="send"),
                drop_after_delivery=lambda: teams.inject(TeamsFault.drop(), route="send"),
                slow=lambda: teams.inject(TeamsFault.slow(30), route="send"),
                block=teams.block,
            )
        assert teams.protocol_errors == []


RIGS = {"slack": slack_rig, "teams": teams_rig}


@pytest.fixture(params=sorted(RIGS))
async def rig(request) -> AsyncIterator[Rig]:
    async for built in RIGS[request.param]():
        yield built


async def test_open_direct_and_post_deliver_exactly_one_message(rig):
    channel = await rig.messenger.open_direct(rig.user)
    assert await rig.messenger.open_direct(rig.user) == channel
    message_id = await rig.messenger.post(channel, MESSAGE)
    assert message_id
    assert rig.delivered() == [MESSAGE.text]


async def test_each_post_gets_its_own_id(rig):
    channel = await rig.messenger.open_direct(rig.user)
    ids = [await rig.messenger.post(channel, Message(text=f"nr {i}")) for i in range(3)]
    assert len(set(ids)) == 3
    assert rig.delivered() == ["nr 0", "nr 1", "nr 2"]


async def test_rate_limited_with_the_retry_after(rig):
    channel = await rig.messenger.open_direct(rig.user)
    rig.rate_limit(7)
    with pytest.raises(RateLimited) as caught:
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.retry_after == 7
    assert rig.delivered() == []


async def test_server_error_is_transient_and_not_delivered(rig):
    channel = await rig.messenger.open_direct(rig.user)
    rig.server_error()
    with pytest.raises(TransientFailure) as caught:
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.maybe_delivered is False
    assert rig.delivered() == []
    await rig.messenger.post(channel, MESSAGE)  # the next try goes through
    assert rig.delivered() == [MESSAGE.text]


async def test_dropped_connection_may_have_delivered(rig):
    channel = await rig.messenger.open_direct(rig.user)
    rig.drop_after_delivery()
    with pytest.raises(TransientFailure) as caught:
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.maybe_delivered is True
    assert rig.delivered() == [MESSAGE.text]


async def test_timeout_may_have_delivered(rig):
    channel = await rig.messenger.open_direct(rig.user)
    rig.slow()
    with pytest.raises(TransientFailure) as caught:
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.maybe_delivered is True


async def test_unknown_user_is_permanent(rig):
    with pytest.raises(PermanentFailure) as caught:
        channel = await rig.messenger.open_direct(rig.unknown)
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.code


async def test_blocked_conversation_is_permanent(rig):
    channel = await rig.messenger.open_direct(rig.user)
    rig.block(channel)
    with pytest.raises(PermanentFailure) as caught:
        await rig.messenger.post(channel, MESSAGE)
    assert caught.value.code
    assert rig.delivered() == []
