"""Posts to a response_url (handlers/slack/respond.py): the JSON Bolt's respond builds, through
the shared session, retried once after a dropped connection as slack_sdk's webhook client
does, and still delivered when the shared session has been closed."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from handlers.slack import respond
from handlers.slack.respond import SharedRespond


@pytest.fixture
async def hook():
    """A response_url that drops the first `drops` connections, then records what it gets."""
    seen: list[tuple[str, dict]] = []
    state = {"drops": 0}

    async def receive(request: web.Request) -> web.Response:
        if state["drops"]:
            state["drops"] -= 1
            assert request.transport is not None
            request.transport.close()
            return web.Response(text="never sent")
        seen.append((request.headers["Content-Type"], json.loads(await request.read())))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/respond/{key}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/respond/k", seen, state
    await runner.cleanup()


def test_retries_are_slack_sdks_defaults():
    assert [type(h) for h in respond.RETRIES] == [type(h) for h in async_default_handlers()]


async def test_posts_the_message_as_json(hook):
    url, seen, _state = hook
    async with aiohttp.ClientSession() as session:
        answer = await SharedRespond(response_url=url, session=session)(
            text="Hej", response_type="ephemeral", replace_original=False
        )
    assert (answer.status_code, answer.body) == (200, "ok")
    assert seen == [
        (
            "application/json;charset=utf-8",
            {"text": "Hej", "response_type": "ephemeral", "replace_original": False},
        )
    ]


async def test_a_dropped_connection_is_tried_once_more(hook, monkeypatch):
    url, seen, state = hook
    now = AsyncConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0))
    monkeypatch.setattr(respond, "RETRIES", [now])
    async with aiohttp.ClientSession() as session:
        state["drops"] = 1
        assert (await respond.post(session, url, {"text": "a"})).status_code == 200
        state["drops"] = 2
        with pytest.raises(aiohttp.ClientError):
            await respond.post(session, url, {"text": "b"})
    assert [message["text"] for _type, message in seen] == ["a"]


async def test_a_closed_session_still_delivers(hook):
    url, seen, _state = hook
    session = aiohttp.ClientSession()
    await session.close()
    assert (await respond.post(session, url, {"text": "c"})).status_code == 200
    assert [message["text"] for _type, message in seen] == ["c"]
