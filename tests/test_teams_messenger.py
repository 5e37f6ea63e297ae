"""TeamsMessenger against the connector stand-in over real HTTP: addresses, conversations,
tokens, and the classification of every failure into the port's DeliveryError classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.domain.markup import mention
from bot.domain.messages import Action, Message
from bot.ports.addresses import Address
from bot.ports.messenger import DeliveryError, PermanentFailure, RateLimited, TransientFailure
from bot.testing.addresses import MemoryAddressBook
from bot.testing.teams_standin import Fault, TeamsStandIn
from handlers.http import retry_after
from handlers.teams.messenger import (
    CLASSIFICATION,
    Failure,
    TeamsMessenger,
    error_code,
    member_id,
    rule_for,
    sdk_token_provider,
    snake,
)

START = datetime(2026, 11, 23, 8, tzinfo=UTC)
TIMEOUT = 2.0  # generous for a loaded machine; the slow fault outlasts it
MESSAGE = Message(
    text="Förhandsbedömning för DEMO-1001 ska vara klar i dag.",
    title="Förhandsbedömning i dag",
    actions=(Action("frist_klar", "Klar", "17", style="primary"),),
)


@pytest.fixture
async def teams():
    async with TeamsStandIn() as stand_in:
        stand_in.add_user("aad-anna", "Anna Andersson")
        stand_in.add_user("aad-bo", "Bo", installed=False)
        stand_in.add_conversation("19:bou@thread.tacv2", ("aad-anna",))
        yield stand_in
        assert stand_in.protocol_errors == []


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def book(teams):
    return MemoryAddressBook(
        Address("teams", "aad-anna", "a:from-install", teams.url, teams.tenant_id, START),
        Address("teams", "aad-bo", "", teams.url, teams.tenant_id, START),
        Address("teams", "19:bou@thread.tacv2", "19:bou@thread.tacv2", teams.url, None, START),
    )


@pytest.fixture
async def messenger(teams, book, clock):
    async with TeamsMessenger(book, bot_id=teams.bot_id, timeout=TIMEOUT, clock=clock) as m:
        yield m


async def test_open_direct_creates_once_and_remembers_the_conversation(
    teams, book, clock, messenger
):
    clock.advance(timedelta(days=1))
    channel = await messenger.open_direct("aad-anna")
    assert await messenger.open_direct("aad-anna") == channel
    [create] = teams.calls_to("create")
    assert create.body == {
        "isGroup": False,
        "bot": {"id": teams.bot_id},
        "members": [{"id": "8:orgid:aad-anna"}],
        "tenantId": teams.tenant_id,
        "channelData": {"tenant": {"id": teams.tenant_id}},
    }
    stored = await book.lookup("teams", "aad-anna")
    assert (stored.conversation_id, stored.updated_at) == (channel, START + timedelta(days=1))


async def test_a_person_without_an_address(messenger):
    with pytest.raises(PermanentFailure) as caught:
        await messenger.open_direct("aad-never-seen")
    assert caught.value.code == "no_conversation_reference"


async def test_a_person_without_the_app(messenger):
    with pytest.raises(PermanentFailure) as caught:
        await messenger.open_direct("aad-bo")
    assert caught.value.code == "bot_not_in_conversation_roster"


async def test_post_to_a_channel_through_its_address(teams, messenger):
    activity_id = await messenger.post("19:bou@thread.tacv2", MESSAGE)
    [sent] = teams.sent_in("19:bou@thread.tacv2")
    assert sent.id == activity_id
    assert sent.card["actions"][0]["verb"] == "frist_klar"


async def test_post_to_an_unknown_conversation(teams, book):
    messenger = TeamsMessenger(book, bot_id=teams.bot_id)
    with pytest.raises(PermanentFailure, match="no_conversation_reference"):
        await messenger.post("19:unknown@thread.tacv2", MESSAGE)
    fallback = TeamsMessenger(book, bot_id=teams.bot_id, service_url=teams.url)
    try:
        with pytest.raises(PermanentFailure, match="conversation_not_found"):
            await fallback.post("19:unknown@thread.tacv2", MESSAGE)
    finally:
        await fallback.aclose()


async def test_update_and_delete(teams, messenger):
    channel = await messenger.open_direct("aad-anna")
    activity_id = await messenger.post(channel, MESSAGE)
    await messenger.update(channel, activity_id, Message(text="Klar", title="Markerad klar"))
    [sent] = teams.sent_to("aad-anna")
    assert sent.card["body"][0]["text"] == "Markerad klar"
    assert len(sent.edits) == 1 and "actions" not in sent.card
    await messenger.delete(channel, activity_id)
    assert sent.deleted
    with pytest.raises(PermanentFailure, match="activity_not_found_in_conversation"):
        await messenger.update(channel, activity_id, MESSAGE)


async def test_mentions_get_names_from_the_lookup(teams, book):
    asked = []

    async def names(ids):
        asked.append(ids)
        return {"aad-anna": "Anna Andersson"}

    async with TeamsMessenger(book, bot_id=teams.bot_id, names=names) as messenger:
        await messenger.post("19:bou@thread.tacv2", Message(text=f"Hej {mention('aad-anna')}"))
    assert asked == [["aad-anna"]]
    [sent] = teams.sent_in("19:bou@thread.tacv2")
    assert sent.text == "Hej Anna Andersson"
    assert sent.card["body"][0]["text"] == "Hej **Anna Andersson**"


async def test_the_token_goes_with_every_request(book):
    async with TeamsStandIn(require_token="t-1") as teams:
        teams.add_user("aad-anna")
        book = MemoryAddressBook(
            Address("teams", "aad-anna", "", teams.url, teams.tenant_id, START)
        )
        tokens = iter(["t-1", "t-1", "wrong"])

        async def token():
            return next(tokens)

        async with TeamsMessenger(book, bot_id=teams.bot_id, token=token) as messenger:
            channel = await messenger.open_direct("aad-anna")
            await messenger.post(channel, MESSAGE)
            with pytest.raises(PermanentFailure, match="unauthorized"):
                await messenger.post(channel, MESSAGE)
        assert [c.token for c in teams.calls] == ["t-1", "t-1", "wrong"]
        anonymous = TeamsMessenger(book, bot_id=teams.bot_id)
        with pytest.raises(PermanentFailure, match="unauthorized"):
            await anonymous.open_direct("aad-anna")
        await anonymous.aclose()
        assert teams.calls[-1].token is None


async def test_no_token_is_transient(teams, book):
    async def broken():
        raise RuntimeError("AADSTS7000215: invalid client secret")

    async with TeamsMessenger(book, bot_id=teams.bot_id, token=broken) as messenger:
        with pytest.raises(TransientFailure) as caught:
            await messenger.open_direct("aad-anna")
    assert caught.value.maybe_delivered is False
    assert teams.calls == []


async def test_sdk_token_provider_asks_for_the_bot_framework_scope():
    class Provider:  # the shape of the SDK's AccessTokenProviderBase.get_access_token
        async def get_access_token(self, resource_url, scopes, force_refresh=False):
            return f"{resource_url} {' '.join(scopes)}"

    token = await sdk_token_provider(Provider())()
    assert token == "https://api.botframework.com https://api.botframework.com/.default"


async def test_no_lookup_by_email(messenger):
    with pytest.raises(PermanentFailure, match="teams_no_email_lookup"):
        await messenger.user_by_email("anna@example.se")


@dataclass(frozen=True)
class Row:
    fault: Fault | None  # None: nothing listens
    expected: DeliveryError
    rule: str
    recorded: bool = False


def transient(maybe_delivered: bool) -> TransientFailure:
    return TransientFailure("", maybe_delivered=maybe_delivered)


TABLE: dict[str, Row] = {
    "429": Row(Fault.rate_limit(7), RateLimited(7), "http_429"),
    "412": Row(Fault.status_code(412, "PreconditionFailed"), transient(False), "http_retry"),
    "500": Row(Fault.status_code(500), transient(False), "http_retry"),
    "502": Row(Fault.status_code(502), transient(False), "http_retry"),
    "503": Row(Fault.status_code(503), transient(False), "http_retry"),
    "504": Row(Fault.status_code(504, "GatewayTimeout"), transient(True), "http_504"),
    "slow": Row(Fault.slow(30), transient(True), "timeout"),
    "dropped after delivery": Row(Fault.drop(), transient(True), "disconnected", True),
    "dropped before": Row(Fault.drop(record=False), transient(True), "disconnected"),
    "connection refused": Row(None, transient(False), "unreachable"),
    "401": Row(
        Fault.status_code(401, "Unauthorized"), PermanentFailure("unauthorized"), "http_4xx"
    ),
    "403 blocked": Row(Fault.blocked(), PermanentFailure("message_writes_blocked"), "http_4xx"),
    "403 blocked by user": Row(
        Fault.status_code(403, "ConversationBlockedByUser"),
        PermanentFailure("conversation_blocked_by_user"),
        "http_4xx",
    ),
    "404": Row(Fault.not_found(), PermanentFailure("conversation_not_found"), "http_4xx"),
    "413": Row(
        Fault.status_code(413, "MessageSizeTooBig"),
        PermanentFailure("message_size_too_big"),
        "http_4xx",
    ),
}


@pytest.mark.parametrize("name", list(TABLE))
async def test_classification(teams, messenger, name):
    row = TABLE[name]
    channel = await messenger.open_direct("aad-anna")
    if row.fault is None:
        await teams.stop()
        await messenger.aclose()  # no pooled connection: a new one is refused
    else:
        teams.inject(row.fault, route="send")
    with pytest.raises(DeliveryError) as caught:
        await messenger.post(channel, MESSAGE)
    error = caught.value
    assert type(error) is type(row.expected)
    if isinstance(error, RateLimited):
        assert error.retry_after == row.expected.retry_after
    if isinstance(error, TransientFailure):
        assert error.maybe_delivered is row.expected.maybe_delivered
    if isinstance(error, PermanentFailure):
        assert error.code == row.expected.code
    if row.fault is not None:
        assert len(teams.sent_to("aad-anna")) == int(row.recorded)


def test_every_rule_is_exercised():
    used = {row.rule for row in TABLE.values()} | {"unreadable"}
    assert used == {rule.name for rule in CLASSIFICATION}


def test_unreadable_success_may_have_delivered_a_write():
    assert rule_for(Failure("send", "answer", status=200)).name == "unreadable"
    outcome = rule_for(Failure("send", "answer", status=200)).outcome(
        Failure("send", "answer", status=200)
    )
    assert isinstance(outcome, TransientFailure) and outcome.maybe_delivered


def test_a_lost_answer_to_creating_a_conversation_delivered_nothing():
    failure = Failure("create", "disconnected")
    outcome = rule_for(failure).outcome(failure)
    assert isinstance(outcome, TransientFailure) and not outcome.maybe_delivered


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"error": {"code": "MessageWritesBlocked", "message": "x"}}', "MessageWritesBlocked"),
        ("<html>proxy</html>", None),
        ('{"error": "text"}', None),
        ("", None),
    ],
)
def test_error_code(body, code):
    assert error_code(body) == code


def test_helpers():
    assert snake("BotNotInConversationRoster") == "bot_not_in_conversation_roster"
    assert member_id("aad-1") == "8:orgid:aad-1"
    assert member_id("29:abc") == "29:abc"
    assert (retry_after("7"), retry_after(None), retry_after("soon"), retry_after("-3")) == (
        7,
        1.0,
        1.0,
        1.0,
    )
