"""The Slack Web API stand-in answers like Slack, records calls and injects faults.

A real slack_sdk AsyncWebClient talks to it over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.testing.blockkit import block_errors
from bot.testing.slack_standin import Fault, SlackStandIn

TOKEN = "xoxb-test"


@pytest.fixture
async def slack():
    async with SlackStandIn() as stand_in:
        stand_in.add_user("U1", "anna@example.se")
        stand_in.add_user("U2", "bo@example.se", deleted=True)
        stand_in.add_channel("C1")
        stand_in.add_channel("C2", member=False)
        stand_in.add_channel("C3", archived=True)
        yield stand_in


def client_for(
    slack: SlackStandIn, token: str | None = TOKEN, timeout: float = 2
) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.url, timeout=timeout, retry_handlers=[])


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return client_for(slack)


async def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


def test_url_needs_a_running_stand_in():
    with pytest.raises(RuntimeError):
        _ = SlackStandIn().url


async def test_url_and_auth_test(slack, client):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", slack.url)
    response = await client.auth_test()
    assert response["user_id"] == slack.bot_user_id
    assert response["team_id"] == slack.team_id
    [call] = slack.calls
    assert (call.method, call.token, call.fault) == ("auth.test", TOKEN, None)


@pytest.mark.parametrize(
    ("token", "code"), [(None, "not_authed"), ("xoxb-invalid", "invalid_auth")]
)
async def test_bad_tokens(slack, token, code):
    error = await error_of(client_for(slack, token).auth_test())
    assert error.response.status_code == 200
    assert error.response["error"] == code


async def test_conversations_open(slack, client):
    first = await client.conversations_open(users="U1")
    again = await client.conversations_open(users=["U1"])
    assert first["channel"]["id"] == again["channel"]["id"] == "DU1"
    assert (first["already_open"], again["already_open"]) == (False, True)
    assert slack.calls[0].params == {"users": "U1"}


@pytest.mark.parametrize(
    ("user", "code"),
    [("U404", "user_not_found"), ("U2", "account_inactive"), ("U0FRISTER", "cannot_dm_bot")],
)
async def test_conversations_open_errors(client, user, code):
    error = await error_of(client.conversations_open(users=user))
    assert error.response["error"] == code


async def test_post_message_records_a_direct_message(slack, client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hej*"}}]
    metadata = {"event_type": "frister_notification", "event_payload": {"notification": "1"}}
    first = await client.chat_postMessage(
        channel="DU1", text="Hej", blocks=blocks, metadata=metadata
    )
    second = await client.chat_postMessage(channel="U1", text="igen")
    assert first["channel"] == second["channel"] == "DU1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    post = slack.posts[0]
    assert (post.channel, post.user, post.text, post.ts) == ("DU1", "U1", "Hej", first["ts"])
    assert post.blocks == blocks
    assert post.metadata == metadata
    assert [p.text for p in slack.posts_to("U1")] == ["Hej", "igen"]
    assert slack.calls_to("chat.postMessage")[0].params["channel"] == "DU1"


async def test_post_message_to_a_channel_with_a_form_body(slack, client):
    """slack_sdk sends JSON for chat.postMessage, but Slack (and the stand-in) take forms too."""
    blocks = [{"type": "divider"}]
    response = await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(blocks)}
    )
    assert response["channel"] == "C1"
    [post] = slack.posts_to("C1")
    assert (post.user, post.blocks) == (None, blocks)


async def test_ts_is_unique_and_increasing(slack, client):
    stamps = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 5
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"channel": "C404", "text": "x"}, "channel_not_found"),
        ({"channel": "DU404", "text": "x"}, "channel_not_found"),
        ({"channel": "C2", "text": "x"}, "not_in_channel"),
        ({"channel": "C3", "text": "x"}, "is_archived"),
        ({"channel": "DU2", "text": "x"}, "account_inactive"),
        ({"channel": "C1", "text": ""}, "no_text"),
        ({"channel": "C1", "text": "x" * 40_001}, "msg_too_long"),
        (
            {"channel": "C1", "text": "x", "metadata": {"event_payload": {}}},
            "invalid_metadata_format",
        ),
        ({"channel": "C1", "text": "x", "blocks": [{"type": "header"}]}, "invalid_blocks"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_post_message_errors(slack, client, kwargs, code):
    error = await error_of(client.chat_postMessage(**kwargs))
    assert error.response["error"] == code
    assert slack.posts == []


async def test_invalid_blocks_say_why(client):
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    error = await error_of(client.chat_postMessage(channel="C1", text="x", blocks=[header]))
    assert error.response["errors"] == [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    ]


def test_block_limits():
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    assert block_errors([section] * 50) == []
    assert block_errors([section] * 51) == ["no more than 50 items allowed [json-pointer:/blocks]"]
    field = {"type": "mrkdwn", "text": "x" * 2001}
    assert block_errors([{"type": "section", "fields": [field]}])
    assert block_errors([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}])
    assert block_errors([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x"}}
    assert block_errors([{"type": "actions", "elements": [button]}]) == []
    assert block_errors([{"type": "actions", "elements": [button, button]}])  # same action_id
    assert block_errors([{"type": "actions", "elements": [{**button, "style": "red"}]}])


async def test_chat_update_keeps_the_old_version(slack, client):
    posted = await client.chat_postMessage(channel="DU1", text="före")
    updated = await client.chat_update(channel="DU1", ts=posted["ts"], text="efter")
    assert updated["ts"] == posted["ts"]
    [post] = slack.posts
    assert (post.text, post.edits) == ("efter", [("före", None)])
    error = await error_of(client.chat_update(channel="DU1", ts="1.000000", text="x"))
    assert error.response["error"] == "message_not_found"


async def test_post_ephemeral(slack, client):
    response = await client.chat_postEphemeral(channel="C1", user="U1", text="bara för dig")
    [ephemeral] = slack.ephemerals
    assert (ephemeral.channel, ephemeral.user, ephemeral.text) == ("C1", "U1", "bara för dig")
    assert response["message_ts"] == ephemeral.ts
    assert slack.posts == []


async def test_users(client):
    found = await client.users_lookupByEmail(email="ANNA@example.se")
    assert found["user"]["id"] == "U1"
    assert found["user"]["profile"]["email"] == "anna@example.se"
    for email in ("nobody@example.se", "bo@example.se"):  # unknown, deactivated
        error = await error_of(client.users_lookupByEmail(email=email))
        assert error.response["error"] == "users_not_found"
    info = await client.users_info(user="U2")
    assert info["user"]["deleted"] is True
    error = await error_of(client.users_info(user="U404"))
    assert error.response["error"] == "user_not_found"


async def test_views(slack, client):
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    published = await client.views_publish(user_id="U1", view=home)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = await client.views_open(trigger_id="123.456", view=modal)
    updated = await client.views_update(view_id=opened["view"]["id"], view={**modal, "blocks": []})
    assert published["view"]["id"] != opened["view"]["id"] == updated["view"]["id"]
    assert [(v.method, v.user_id, v.trigger_id) for v in slack.views] == [
        ("views.publish", "U1", None),
        ("views.open", None, "123.456"),
        ("views.update", None, None),
    ]
    assert slack.views[0].view == home
    error = await error_of(client.views_update(view_id="V404", view=modal))
    assert error.response["error"] == "not_found"
    error = await error_of(client.views_open(trigger_id="", view=modal))
    assert error.response["error"] == "invalid_arguments"


async def test_unknown_method(client):
    error = await error_of(client.api_call("chat.fly"))
    assert error.response["error"] == "unknown_method"


async def test_faults_fire_in_order_and_count(slack, client):
    slack.inject("chat.postMessage", Fault.error("fatal_error"))
    slack.inject("chat.postMessage", Fault.status(503), times=2)
    outcomes = []
    for _ in range(4):
        try:
            await client.chat_postMessage(channel="C1", text="x")
            outcomes.append("ok")
        except SlackApiError as error:
            outcomes.append((error.response.status_code, error.response.get("error")))
    assert outcomes == [(200, "fatal_error"), (503, None), (503, None), "ok"]
    assert [c.fault for c in slack.calls] == ["error", "status", "status", None]
    assert len(slack.posts) == 1
    assert slack.pending_faults("chat.postMessage") == 0


async def test_faults_are_per_method(slack, client):
    slack.inject("chat.postMessage", Fault.error("internal_error"))
    await client.auth_test()
    assert slack.pending_faults("chat.postMessage") == 1


async def test_rate_limit_fault(slack, client):
    slack.inject("chat.postMessage", Fault.rate_limit(7))
    error = await error_of(client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert slack.posts == []


async def test_status_fault_bodies(slack, client):
    slack.inject("auth.test", Fault.status(502))
    slack.inject("auth.test", Fault.status(500, body=""))
    for status in (502, 500):
        error = await error_of(client.auth_test())
        assert error.response.status_code == status
        assert error.response.data == {}  # not JSON: slack_sdk keeps an empty dict


async def test_timeout_fault(slack):
    slack.inject("chat.postMessage", Fault.timeout(1))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await client_for(slack, timeout=0.2).chat_postMessage(channel="C1", text="x")
    assert time.monotonic() - started < 0.9
    assert slack.posts == []
    assert slack.calls[0].fault == "timeout"


@pytest.mark.parametrize(
    ("fault", "recorded"), [(Fault.reset(), 0), (Fault.reset_after_record(), 1)]
)
async def test_reset_faults(slack, client, fault, recorded):
    slack.inject("chat.postMessage", fault)
    with pytest.raises(aiohttp.ClientOSError):  # ECONNRESET
        await client.chat_postMessage(channel="DU1", text="x")
    assert len(slack.posts) == recorded


async def test_hang_after_record_until_release(slack, client):
    slack.inject("chat.postMessage", Fault.hang_after_record())
    task = asyncio.create_task(client.chat_postMessage(channel="DU1", text="x"))
    for _ in range(100):
        if slack.posts:
            break
        await asyncio.sleep(0.01)
    assert len(slack.posts) == 1
    await asyncio.sleep(0.05)
    assert not task.done()
    slack.release()
    response = await asyncio.wait_for(task, 1)
    assert response["ts"] == slack.posts[0].ts


async def test_stop_does_not_wait_for_hung_requests():
    slack = SlackStandIn()
    await slack.start()
    slack.add_channel("C1")
    slack.inject("chat.postMessage", Fault.hang_after_record())
    task = asyncio.create_task(client_for(slack).chat_postMessage(channel="C1", text="x"))
    while not slack.posts:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await slack.stop()
    assert time.monotonic() - started < 0.6
    with pytest.raises((aiohttp.ClientError, SlackApiError)):
        await asyncio.wait_for(task, 1)


async def test_enforced_per_channel_limit(slack, client):
    slack.enforce_rate_limits(per_channel_per_second=1)
    await client.chat_postMessage(channel="C1", text="1")
    error = await error_of(client.chat_postMessage(channel="C1", text="2"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="DU1", text="another channel")
    assert [p.text for p in slack.posts] == ["1", "another channel"]
    assert [c.fault for c in slack.calls] == [None, "rate_limited", None]


async def test_enforced_workspace_limit(slack, client):
    slack.enforce_rate_limits(workspace_per_minute=2)
    await client.auth_test()
    await client.auth_test()
    error = await error_of(client.auth_test())
    assert error.response.status_code == 429
    assert 59 <= int(error.response.headers["Retry-After"]) <= 60
    await client.users_info(user="U1")  # counted per method
    slack.enforce_rate_limits()
    await client.auth_test()


async def test_on_post_hook(slack, client):
    seen = []
    slack.on_post = seen.append
    await client.chat_postMessage(channel="C1", text="x")
    assert seen == slack.posts


async def test_wait_for_post_wakes_on_the_matching_post(slack, client):
    waiting = asyncio.create_task(slack.wait_for_post("U1"))
    await client.chat_postMessage(channel="C1", text="not for U1")
    assert not waiting.done()
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text="hej")
    post = await asyncio.wait_for(waiting, timeout=5)
    assert post is not None and (post.user, post.text) == ("U1", "hej")
    # A post already recorded is returned at once.
    assert await slack.wait_for_post("C1", timeout=0) == slack.posts_to("C1")[0]


async def test_wait_for_post_gives_up_after_the_timeout(slack, client):
    await client.chat_postMessage(channel="C1", text="elsewhere")
    assert await slack.wait_for_post("U1", timeout=0.05) is None
