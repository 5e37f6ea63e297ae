"""The Bot Framework connector stand-in answers like the Teams connector, validates cards,
records calls and injects faults. Clients: plain aiohttp and the Agents SDK's ConnectorClient."""

from __future__ import annotations

import asyncio
import copy

import aiohttp
import pytest
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from bot.testing.cards import MAX_ACTIVITY_BYTES, activity_errors, card_errors
from bot.testing.teams_standin import Fault, TeamsStandIn

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Hej", "wrap": True}],
    "actions": [
        {"type": "Action.Execute", "title": "Klar", "verb": "frist_klar", "data": {"value": "1"}}
    ],
}
ACTIVITY = {
    "type": "message",
    "summary": "Hej",
    "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}],
}


@pytest.fixture
async def teams():
    async with TeamsStandIn() as stand_in:
        stand_in.add_user("aad-anna", "Anna Andersson", "anna@example.se")
        stand_in.add_user("aad-bo", "Bo", installed=False)
        yield stand_in


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        yield session


async def create(teams, http, member="aad-anna", tenant=None) -> tuple[int, dict]:
    body = {
        "bot": {"id": teams.bot_id},
        "members": [{"id": member}],
        "tenantId": tenant or teams.tenant_id,
    }
    async with http.post(teams.url + "v3/conversations", json=body) as response:
        return response.status, await response.json()


async def send(teams, http, conversation, activity=ACTIVITY, suffix=""):
    url = f"{teams.url}v3/conversations/{conversation}/activities{suffix}"
    async with http.post(url, json=activity) as response:
        return response.status, await response.json(), response.headers


def activity_with(**card_changes) -> dict:
    activity = copy.deepcopy(ACTIVITY)
    activity["attachments"][0]["content"].update(card_changes)
    return activity


def test_url_needs_a_running_stand_in():
    with pytest.raises(RuntimeError):
        _ = TeamsStandIn().url


async def test_create_a_personal_conversation_and_send(teams, http):
    status, first = await create(teams, http)
    again_status, again = await create(teams, http, member="8:orgid:aad-anna")
    assert (status, again_status) == (201, 201)
    assert first["id"] == again["id"]  # Teams answers with the existing 1:1 chat
    status, answer, _ = await send(teams, http, first["id"])
    assert status == 201
    [sent] = teams.sent_to("aad-anna")
    assert (sent.id, sent.text, sent.card) == (answer["id"], "Hej", CARD)
    assert teams.protocol_errors == []
    assert [c.route for c in teams.calls] == ["create", "create", "send"]


async def test_reply_update_and_delete(teams, http):
    _, conversation = await create(teams, http)
    cid = conversation["id"]
    _, posted, _ = await send(teams, http, cid)
    status, _, _ = await send(teams, http, cid, suffix=f"/{posted['id']}")
    assert status == 201 and teams.activities[1].reply_to == posted["id"]
    url = f"{teams.url}v3/conversations/{cid}/activities/{posted['id']}"
    changed = activity_with(body=[{"type": "TextBlock", "text": "Klart"}], actions=[])
    async with http.put(url, json=changed) as response:
        assert response.status == 200
    assert teams.activities[0].card["body"][0]["text"] == "Klart"
    assert teams.activities[0].edits == [ACTIVITY]
    async with http.delete(url) as response:
        assert response.status == 200
    assert teams.activities[0].deleted
    async with http.put(url, json=ACTIVITY) as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "ActivityNotFoundInConversation"


async def test_member_lookup(teams, http):
    _, conversation = await create(teams, http)
    base = f"{teams.url}v3/conversations/{conversation['id']}/members/"
    async with http.get(base + "29:aad-anna") as response:
        member = await response.json()
    assert (member["aadObjectId"], member["name"], member["email"]) == (
        "aad-anna",
        "Anna Andersson",
        "anna@example.se",
    )
    async with http.get(base + "aad-bo") as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("member", "tenant", "status", "code"),
    [
        ("aad-nobody", None, 404, "NotFound"),
        ("aad-bo", None, 403, "BotNotInConversationRoster"),
        ("aad-anna", "another-tenant", 403, "Forbidden"),
    ],
)
async def test_create_errors(teams, http, member, tenant, status, code):
    got, answer = await create(teams, http, member, tenant)
    assert (got, answer["error"]["code"]) == (status, code)
    assert teams.conversations == {}


async def test_unknown_conversation_and_blocked_conversation(teams, http):
    status, answer, _ = await send(teams, http, "a:nowhere")
    assert (status, answer["error"]["code"]) == (404, "ConversationNotFound")
    _, conversation = await create(teams, http)
    teams.block(conversation["id"])
    status, answer, _ = await send(teams, http, conversation["id"])
    assert (status, answer["error"]["code"]) == (403, "MessageWritesBlocked")
    assert teams.activities == []


@pytest.mark.parametrize(
    ("activity", "problem"),
    [
        (activity_with(version="1.6"), "version"),
        (activity_with(body=None), "body"),
        ({k: v for k, v in ACTIVITY.items() if k != "attachments"} | {"text": ""}, "text"),
        (
            activity_with(actions=[{"type": "Action.Execute", "title": "Klar", "data": {}}]),
            "verb",
        ),
        (
            activity_with(actions=[{"type": "Action.Execute", "title": "Klar", "verb": "v"}]),
            "data",
        ),
        (activity_with(body=[{"type": "Image"}]), "unknown element"),
        (activity_with(body=[{"type": "TextBlock", "text": "x" * MAX_ACTIVITY_BYTES}]), "bytes"),
    ],
)
async def test_invalid_activities_are_refused_and_recorded(teams, http, activity, problem):
    _, conversation = await create(teams, http)
    status, answer, _ = await send(teams, http, conversation["id"], activity)
    assert (status, answer["error"]["code"]) == (400, "BadArgument")
    assert teams.activities == []
    [error] = teams.protocol_errors
    assert problem in error


def test_form_inputs_are_checked():
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "Input.Text", "id": "a", "label": "A"},
            {"type": "Input.Date", "id": "a"},
            {"type": "Input.ChoiceSet", "id": "c", "choices": [{"title": "x"}]},
            {"type": "Input.Text", "id": "d", "isRequired": True},
        ],
    }
    errors = card_errors(card)
    assert any("used twice" in e for e in errors)
    assert any("choices" in e for e in errors)
    assert any("errorMessage" in e for e in errors)
    assert activity_errors(ACTIVITY) == []


async def test_injected_faults(teams, http):
    _, conversation = await create(teams, http)
    cid = conversation["id"]
    teams.inject(Fault.rate_limit(7), route="send")
    teams.inject(Fault.status_code(502), conversation=cid)
    teams.inject(Fault.status_code(412, "PreconditionFailed"))
    teams.inject(Fault.blocked())
    teams.inject(Fault.not_found())
    outcomes = []
    for _ in range(5):
        status, answer, headers = await send(teams, http, cid)
        outcomes.append((status, answer["error"]["code"], headers.get("Retry-After")))
    assert outcomes == [
        (429, "Throttled", "7"),
        (502, "ServiceError", None),
        (412, "PreconditionFailed", None),
        (403, "MessageWritesBlocked", None),
        (404, "ConversationNotFound", None),
    ]
    assert teams.activities == []
    assert [c.fault for c in teams.calls_to("send")] == ["429", "502", "412", "403", "404"]
    status, _, _ = await send(teams, http, cid)  # the faults are used up
    assert status == 201


async def test_faults_target_a_route_and_a_conversation(teams, http):
    _, conversation = await create(teams, http)
    teams.inject(Fault.status_code(500), conversation="a:elsewhere")
    teams.inject(Fault.status_code(500), route="update")
    status, _, _ = await send(teams, http, conversation["id"])
    assert status == 201
    with pytest.raises(ValueError):
        teams.inject(Fault.status_code(500), route="nonsense")


async def test_dropped_connection_after_recording(teams, http):
    _, conversation = await create(teams, http)
    teams.inject(Fault.drop())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(teams, http, conversation["id"])
    assert len(teams.activities) == 1  # delivered, the answer lost
    teams.inject(Fault.drop(record=False))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(teams, http, conversation["id"])
    assert len(teams.activities) == 1


async def test_slow_answer_outlasting_the_client_records_nothing(teams, http):
    _, conversation = await create(teams, http)
    teams.inject(Fault.slow(30))
    with pytest.raises(TimeoutError):
        await send(teams, http, conversation["id"])
    await asyncio.sleep(0)  # let the cancelled handler finish
    assert teams.activities == []
    assert teams.calls[-1].fault == "slow"


async def test_enforced_conversation_limits(teams, http):
    teams.enforce_rate_limits()
    _, conversation = await create(teams, http)
    statuses = [(await send(teams, http, conversation["id"]))[0] for _ in range(8)]
    assert statuses == [201] * 7 + [429]
    assert teams.calls[-1].fault == "rate_limited"


async def test_token_required_and_token_endpoint():
    async with TeamsStandIn(require_token="secret-token") as teams:
        teams.add_user("aad-anna")
        async with aiohttp.ClientSession() as http:
            status, answer = await create(teams, http)
            assert (status, answer["error"]["code"]) == (401, "Unauthorized")
            form = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s"}
            async with http.post(teams.token_url, data=form) as response:
                token = (await response.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            body = {
                "bot": {"id": "28:app"},
                "members": [{"id": "aad-anna"}],
                "tenantId": teams.tenant_id,
            }
            async with http.post(teams.url + "v3/conversations", json=body, headers=headers) as r:
                assert r.status == 201
        assert [c.token for c in teams.calls] == [None, "secret-token"]


async def test_jwks_endpoint_serves_the_given_key_set():
    keys = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}
    for given, served in ((keys, keys), (None, {"keys": []})):
        async with (
            TeamsStandIn(jwks=given) as teams,
            aiohttp.ClientSession() as http,
            http.get(teams.jwks_url) as response,
        ):
            assert await response.json() == served


async def test_the_sdk_connector_client_talks_to_the_stand_in(teams):
    """The Agents SDK's own client: what it sends is what the stand-in understands."""
    client = ConnectorClient(teams.url, "")
    try:
        created = await client.conversations.create_conversation(
            ConversationParameters(
                is_group=False,
                bot=ChannelAccount(id=teams.bot_id),
                members=[ChannelAccount(id="29:aad-anna")],
                tenant_id=teams.tenant_id,
            )
        )
        activity = Activity.model_validate(ACTIVITY)
        answer = await client.conversations.send_to_conversation(created.id, activity)
        teams.inject(Fault.rate_limit(9))
        with pytest.raises(aiohttp.ClientResponseError) as caught:
            await client.conversations.send_to_conversation(created.id, activity)
    finally:
        await client.close()
    assert caught.value.status == 429 and caught.value.headers["Retry-After"] == "9"
    [sent] = teams.sent_to("aad-anna")
    assert sent.id == answer.id
    assert sent.card == CARD
    assert teams.protocol_errors == []
