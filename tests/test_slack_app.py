"""The Bolt app's own behaviour over real HTTP (signed requests into Runtime's server, the Web
API stand-in for the client and the response_urls): the error handler, and the replay check
of read-only questions, which takes no write lock."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event, func, select

from bot.bootstrap import App
from bot.domain import markup
from bot.domain.forms import Form, FormField
from bot.runtime import Runtime
from bot.testing.slack_requests import SlackSender
from bot.testing.slack_standin import SlackStandIn, View
from handlers.slack import blocks
from handlers.slack.app import build
from handlers.slack.mentions import from_slack
from handlers.slack.messenger import SlackMessenger, make_client
from handlers.slack.replay import RecentKeys, is_question
from storage.database import session_factory, transaction
from storage.models import ProcessedRequest
from tests.factories import add_person

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANNA = "U0ANNA001"
APOLOGY = "Något gick fel, så jag kunde inte svara. Försök igen om en stund."
SECRET_WORD = "Svensson"  # typed by the person: must never reach the log


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        standin.add_user(ANNA)
        yield standin


def _settings(settings, slack, **update):
    return settings.model_copy(
        update={
            "mode": "http",
            "http_port": 0,
            "slack_api_url": slack.url,
            "slack_signing_secret": SecretStr(SECRET),
            "slack_bot_token": SecretStr("xoxb-test"),
            **update,
        }
    )


async def _serve(app: App, slack: SlackStandIn, process_before_response: bool, **kwargs):
    bolt = build(
        app.services(),
        client=AsyncWebClient(token="xoxb-test", base_url=slack.url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
        **kwargs,
    )
    runtime = Runtime(app, SlackMessenger(make_client("xoxb-test", slack.url)), bolt)
    await runtime.start_web()
    sender = SlackSender(f"http://127.0.0.1:{runtime.port}/slack/events", SECRET, slack)
    return runtime, sender


def _answered(slack: SlackStandIn) -> asyncio.Event:
    answered = asyncio.Event()
    slack.on_response = lambda _response: answered.set()
    return answered


# ---- the error handler -------------------------------------------------------------------------


@pytest.fixture
async def broken(settings, slack, tmp_path):
    """Frister on a database without its tables: every unit of work fails."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"
    app = App(_settings(settings, slack, database_url=url))
    yield app
    await app.close()


def _no_request_text(records: list[logging.LogRecord], *texts: str) -> None:
    for record in records:
        logged = record.getMessage() + (record.exc_text or "")
        for text in texts:
            assert text not in logged, record.name


@pytest.mark.parametrize("process_before_response", [True, False])
@pytest.mark.parametrize(
    "text",
    [f"försenade {SECRET_WORD}", f"klar K7QM-3XTP {SECRET_WORD}"],
    ids=["question", "change"],
)
async def test_failed_command_is_answered(broken, slack, caplog, process_before_response, text):
    caplog.set_level(logging.INFO, logger="frister.slack")  # the demo quiets "frister"
    answered = _answered(slack)
    runtime, sender = await _serve(broken, slack, process_before_response)
    try:
        status, body = await sender.command(ANNA, text)
        async with asyncio.timeout(10):
            await answered.wait()
            await broken.answer_pool.idle()
    finally:
        await sender.close()
        await runtime.stop()
    assert (status, body) == (200, "")  # Slack shows no error of its own beside the apology
    (response,) = slack.responses
    assert response.text == APOLOGY
    assert not response.public and not response.replaces
    assert broken.answer_pool.counts().failed == 1  # counted for /healthz
    (failure,) = [r for r in caplog.records if r.name == "frister.slack" and r.levelname == "ERROR"]
    assert failure.getMessage().startswith(f"command /frister from {ANNA} failed: OperationalError")
    assert failure.exc_info is None
    _no_request_text(caplog.records, SECRET_WORD, text)


async def test_failed_button_keeps_the_reminder(broken, slack, caplog):
    caplog.set_level(logging.INFO, logger="frister.slack")  # the demo quiets "frister"
    runtime, sender = await _serve(broken, slack, True)
    try:
        status, _body = await sender.press(ANNA, "frist_klar", "17")
    finally:
        await sender.close()
        await runtime.stop()
    assert status == 200
    (response,) = slack.responses
    assert response.text == APOLOGY and not response.replaces
    assert any(f"button frist_klar from {ANNA} failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("process_before_response", [True, False])
async def test_failed_form_says_so_in_the_modal(broken, slack, caplog, process_before_response):
    caplog.set_level(logging.INFO, logger="frister.slack")  # the demo quiets "frister"
    form = Form("ny", "Nytt ärende", fields=(FormField("notering", "Notering", "text"),))
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
    opened = await client.views_open(trigger_id="1.t", view=blocks.modal(form))
    view = View("views.open", opened["view"]["id"], blocks.modal(form))
    runtime, sender = await _serve(broken, slack, process_before_response)
    try:
        body = sender.submission_body(ANNA, view, {"notering": SECRET_WORD})
        status, answer = await sender.post(body, "application/x-www-form-urlencoded")
    finally:
        await sender.close()
        await runtime.stop()
    assert status == 200
    assert '"response_action": "update"' in answer and APOLOGY in answer
    assert any(f"form ny from {ANNA} failed" in r.getMessage() for r in caplog.records)
    _no_request_text(caplog.records, SECRET_WORD)


# ---- replays of read-only questions ----------------------------------------------------------


@pytest.fixture
async def working(settings, slack, engine):
    await add_person(engine, ANNA, "handlaggare", "Barn och unga Nord")
    yield App(_settings(settings, slack), engine_override=engine)


async def _remembered(engine) -> int:
    async with transaction(session_factory(engine)) as session:
        return (await session.execute(select(func.count()).select_from(ProcessedRequest))).scalar()


async def test_replayed_question_takes_no_write_lock(working, slack, engine):
    writes: list[bool] = []

    def begun(connection) -> None:
        writes.append(not connection.get_execution_options().get("frister_readonly", False))

    event.listen(engine.sync_engine, "begin", begun)
    runtime, sender = await _serve(working, slack, True)
    try:
        body = sender.command_body(ANNA, "försenade")
        for _ in range(2):  # the request, and its replay with the same signature
            headers = sender.headers(body, "application/x-www-form-urlencoded")
            async with sender.session.post(sender.url, data=body, headers=headers) as response:
                assert response.status == 200
        assert [r.text for r in slack.responses] == [
            "Dina försenade frister. Inget är försenat. Bra jobbat!"
        ]
        assert writes and not any(writes)  # it read, and only read
        assert await _remembered(engine) == 0

        await sender.command(ANNA, "frånvaro av")  # a change is remembered in the database
        assert any(writes)
        assert await _remembered(engine) == 1
    finally:
        event.remove(engine.sync_engine, "begin", begun)
        await sender.close()
        await runtime.stop()


async def test_question_memory_expires_after_the_replay_window(working, slack):
    now = [0.0]
    recent = RecentKeys(timedelta(minutes=10), now=lambda: now[0])
    runtime, sender = await _serve(working, slack, True, recent=recent)
    try:
        body = sender.command_body(ANNA, "hjälp")
        for at in (0.0, 599.0, 601.0):
            now[0] = at
            await sender.post(body, "application/x-www-form-urlencoded")
    finally:
        await sender.close()
        await runtime.stop()
    assert len(slack.responses) == 2  # the replay at 599 s changed nothing; at 601 s it is new


def test_recent_keys_are_bounded():
    now = [0.0]
    recent = RecentKeys(timedelta(minutes=10), size=3, now=lambda: now[0])
    assert [recent.first_time(k) for k in "abcab"] == [True, True, True, False, False]
    assert recent.first_time("d") and len(recent) == 3
    assert recent.first_time("a")  # the oldest was forgotten to make room
    now[0] = 600.0
    assert recent.first_time("b") and len(recent) == 1


def test_questions_are_the_commands_that_only_read(working):
    chat = working.chat()
    for text in (
        "",
        "30",
        "försenade",
        "team",
        "hjälp",
        "statistik",
        "belastning",
        "admin",
        "blaha",
    ):
        assert is_question(chat, text), text
    for text in (
        "klar K7QM-3XTP",
        "ny",
        "frånvaro av",
        "förläng",
        f"admin roll {markup.mention('U0BO00001')} chef",
    ):
        assert not is_question(chat, text), text


# ---- mentions in typed text ----------------------------------------------------------------------


def test_slack_mentions_become_neutral_markup():
    typed = "frånvaro 2026-07-06 2026-07-31 <@U0BO00001|bo> &lt;@U0FAKE001&gt; a &amp; b"
    assert from_slack(typed) == (
        f"frånvaro 2026-07-06 2026-07-31 {markup.mention('U0BO00001')} <@U0FAKE001> a & b"
    )
    forged = f"ärende {markup.mention('U0BOSS001')}"  # marker characters typed by a person
    assert from_slack(forged) == "ärende @U0BOSS001"
