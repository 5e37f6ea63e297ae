"""The chat interface over real HTTP: signed Slack requests into the running HTTP-mode app
(Runtime's aiohttp server on port 0), the Slack Web API stand-in behind the bot's client, a
real database. Every command, button and form, in Swedish."""

from __future__ import annotations

import asyncio
import json
import re
import time
import typing
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.chat.commands import HANDLERS
from bot.chat.rendering import Layout, clean
from bot.clock import FixedClock
from bot.domain import commands as cmd
from bot.domain import markup
from bot.ports.conversation import Caller
from bot.runtime import Runtime
from bot.testing.blockkit import block_errors
from bot.testing.slack_requests import SlackSender
from bot.testing.slack_standin import Fault, SlackStandIn
from handlers.slack.app import build
from handlers.slack.limits import SLACK_LIMITS
from handlers.slack.messenger import SlackMessenger, make_client
from storage.database import session_factory, transaction
from storage.models import Arende, AuditEvent, Enhet, Frist, Notification, Person
from tests.factories import add_person, code_of, import_rows

STHLM = ZoneInfo("Europe/Stockholm")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NORD, SYD = "Barn och unga Nord", "Barn och unga Syd"
ANNA, BO, CECI, DAN, EVA, GUN, ADA = (
    "U0ANNA001",
    "U0BO00001",
    "U0CECI001",
    "U0DAN0001",
    "U0EVA0001",
    "U0GUN0001",
    "U0ADA0001",
)
STRANGER = "U0OKAND01"
STAFF = {
    ANNA: ("handlaggare", NORD),
    BO: ("handlaggare", NORD),
    CECI: ("forste_socialsekreterare", NORD),
    DAN: ("chef", NORD),
    EVA: ("handlaggare", SYD),
    GUN: ("socialchef", None),
    ADA: ("admin", None),
}
IFO1, IFO2, IFO3, IFO9 = (code_of(f"IFO {n}") for n in (1, 2, 3, 9))
PNR = "19121212-1212"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STHLM)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(local(2026, 6, 15, 10, 0))  # a Monday


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        for user in [*STAFF, STRANGER, "U0NY00001"]:
            standin.add_user(user)
        for channel in ("C0NORD001", "C0ANNAN01", "C0ESKALER"):
            standin.add_channel(channel)
        yield standin


@pytest.fixture
def app(settings, engine, clock, slack) -> App:
    settings = settings.model_copy(
        update={
            "mode": "http",
            "http_port": 0,
            "slack_api_url": slack.url,
            "slack_signing_secret": SecretStr(SECRET),
            "slack_bot_token": SecretStr("xoxb-test"),
        }
    )
    return App(settings, clock=clock, engine_override=engine)


@pytest.fixture
async def world(app, engine):
    for user, (role, unit) in STAFF.items():
        await add_person(engine, user, role, unit)
    await import_rows(
        app,
        ("IFO 1", NORD, ANNA, "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 2", NORD, ANNA, "utredning_inledd", date(2026, 5, 4)),
        ("IFO 3", NORD, BO, "anmalan_inkom", date(2026, 6, 10)),
        ("IFO 9", SYD, EVA, "anmalan_inkom", date(2026, 6, 12)),
    )


async def _serve(app, slack, process_before_response: bool):
    bolt = build(
        app.services(),
        client=AsyncWebClient(token="xoxb-test", base_url=slack.url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )
    runtime = Runtime(app, SlackMessenger(make_client("xoxb-test", slack.url)), bolt)
    await runtime.start_web()
    return runtime


@pytest.fixture
async def server(app, slack, world):
    # Tests wait for the whole listener (process_before_response) so that effects are visible
    # when the HTTP answer arrives; test_background_processing uses the production setting.
    runtime = await _serve(app, slack, True)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def sender(server, slack):
    client = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET, slack)
    yield client
    await client.close()


# ---- helpers ---------------------------------------------------------------------------------


def modals(slack) -> list:
    """Modals opened and updated (not home tabs)."""
    return [v for v in slack.views if v.method != "views.publish"]


def answers(slack) -> list[str]:
    return [r.text for r in slack.responses]


def last(slack) -> str:
    assert slack.responses, "no answer"
    return slack.responses[-1].text


def view_text(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


async def frist(engine, code: str, rule: str) -> Frist:
    async with transaction(session_factory(engine)) as session:
        return (
            (
                await session.execute(
                    select(Frist)
                    .join(Arende, Arende.id == Frist.arende_id)
                    .where(Arende.code == code, Frist.rule_id == rule)
                    .order_by(Frist.id.desc())
                )
            )
            .scalars()
            .first()
        )


async def audit_actions(engine) -> list[str]:
    async with transaction(session_factory(engine)) as session:
        return list((await session.execute(select(AuditEvent.action))).scalars())


async def audit_text(engine) -> str:
    async with transaction(session_factory(engine)) as session:
        rows = (await session.execute(select(AuditEvent))).scalars().all()
    return " ".join(f"{r.actor} {r.action} {r.arende_code} {r.detail}" for r in rows)


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


# ---- request security ------------------------------------------------------------------------


async def test_success(sender, slack):
    status, body = await sender.command(ANNA)
    assert (status, body) == (200, "")
    (response,) = slack.responses
    assert not response.public
    lines = response.text.splitlines()
    assert lines[0] == "Dina frister de närmaste 14 dagarna"
    # Those concerned by IFO 2's utredning were to be informed genast (20 kap. 4 § SoL).
    assert lines[1].startswith(f"FÖRSENAD · `{IFO2}` Information om att utredning inletts")
    assert lines[2].startswith(f"FÖRSENAD · `{IFO1}` Skyddsbedömning: senast fre 12 juni")
    assert f"`{IFO1}` Förhandsbedömning: senast fre 26 juni (om 11 dagar)" in lines[3]
    assert "Barnavårdsutredning" not in response.text  # its last day is in September
    assert response.blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "Dina frister de närmaste 14 dagarna",
            "emoji": True,
        },
    }


async def test_forged_signature_rejected(sender, slack, engine):
    status, _body = await sender.command(ANNA, "hjälp", signature="v0=" + "0" * 64)
    assert status == 401
    status, _body = await sender.press(ANNA, "frist_klar", "1")  # a correct one still works
    assert status == 200
    body = sender.command_body(ANNA, "hjälp")
    tampered = body.replace("hj%C3%A4lp", "team")
    headers = sender.headers(body, "application/x-www-form-urlencoded")
    async with sender.session.post(sender.url, data=tampered, headers=headers) as response:
        assert response.status == 401
    assert not any("kommandon" in text for text in answers(slack))


async def test_stale_timestamp_rejected(sender, slack):
    status, _body = await sender.command(ANNA, "hjälp", timestamp=int(time.time()) - 301)
    assert status == 401
    status, _body = await sender.command(ANNA, "hjälp", timestamp=int(time.time()) - 200)
    assert status == 200
    assert len(slack.responses) == 1


async def test_replay_has_one_effect(sender, slack, engine):
    body = sender.command_body(ANNA, f"klar {IFO1} förhandsbedömning")
    headers = sender.headers(body, "application/x-www-form-urlencoded")
    for _ in range(2):
        async with sender.session.post(sender.url, data=body, headers=headers) as response:
            assert response.status == 200
    assert len(slack.responses) == 1
    assert (await audit_actions(engine)).count("frist_klar_markerad") == 1
    assert (await frist(engine, IFO1, "forhandsbedomning")).status == "done"


async def test_replayed_form_creates_one_case(sender, slack, engine):
    await sender.command(ANNA, "ny")
    (opened,) = modals(slack)
    body = sender.submission_body(
        ANNA, opened, {"handelse": "anmalan_inkom", "datum": "2026-06-15", "nytt": ["nytt"]}
    )
    for _ in range(2):
        await sender.post(body, "application/x-www-form-urlencoded")
    async with transaction(session_factory(engine)) as session:
        chat_cases = (
            await session.execute(select(func.count()).where(Arende.origin == "chat"))
        ).scalar_one()
    assert chat_cases == 1
    assert [v.method for v in slack.views if v.method != "views.publish"] == [
        "views.open",
        "views.update",
    ]


async def test_event_retry_has_one_effect(sender, slack):
    event = {"type": "app_home_opened", "user": ANNA, "channel": "D0ANNA", "tab": "home"}
    assert (await sender.event(event, "Ev0RETRY01"))[0] == 200
    assert (await sender.event(event, "Ev0RETRY01"))[0] == 200  # Slack's retry
    assert len(slack.calls_to("views.publish")) == 1
    await sender.event(event, "Ev0OTHER01")
    assert len(slack.calls_to("views.publish")) == 2


async def test_background_processing(app, slack, world):
    """The production setting: Slack gets its acknowledgement first, the answer follows."""
    runtime = await _serve(app, slack, False)
    sender = SlackSender(f"http://127.0.0.1:{runtime.port}/slack/events", SECRET, slack)
    try:
        status, body = await sender.command(ANNA, "hjälp")
        assert (status, body) == (200, "")
        async with asyncio.timeout(10):
            while not slack.responses:
                await asyncio.sleep(0.01)
        assert last(slack).startswith("Fristers kommandon")
    finally:
        await sender.close()
        await runtime.stop()


# ---- commands ----------------------------------------------------------------------------------


async def test_horizons(sender, slack):
    await sender.command(ANNA, "30")
    assert last(slack).startswith("Dina frister de närmaste 30 dagarna")
    await sender.command(ANNA, "vecka")
    assert last(slack).startswith("Dina frister de närmaste 7 dagarna")
    assert "Förhandsbedömning" not in last(slack)
    await sender.command(ANNA, "100")
    assert "Barnavårdsutredning: senast fre 4 sep (om 81 dagar)" in last(slack)
    await sender.command(EVA, "1")
    assert last(slack).startswith("Dina frister den närmaste 1 dagen")


async def test_no_deadlines(sender, slack):
    await sender.command(CECI)
    assert last(slack) == (
        "Dina frister de närmaste 14 dagarna. Du har inga öppna frister de närmaste 14 dagarna."
    )


async def test_overdue(sender, slack):
    await sender.command(ANNA, "förs")
    assert last(slack).startswith("Dina försenade frister\nFÖRSENAD")
    assert IFO3 not in last(slack)
    await sender.command(DAN, "försenade")
    text = last(slack)
    assert text.startswith("Försenade frister, Barn och unga Nord")
    assert f"<@{ANNA}>" in text and f"<@{BO}>" in text
    assert IFO9 not in text
    await sender.command(GUN, "sena")
    assert IFO9 in last(slack)
    await sender.command(EVA, "försenade")
    assert IFO9 in last(slack)


async def test_team(sender, slack):
    await sender.command(DAN, "team")
    response = slack.responses[-1]
    assert not response.public
    assert response.text.startswith("Teamöversikt, Barn och unga Nord")
    # IFO 2's utredning also gives the information to those concerned (genast, 20 kap. 4 §).
    assert f"<@{ANNA}>: öppna 4, försenade 2" in response.text
    assert f"<@{BO}>: öppna 2, försenade 1" in response.text
    assert "… och 1 frist senare än 30 dagar framåt." in response.text
    fields = response.blocks[1]["fields"]
    assert {"type": "mrkdwn", "text": "*Försenade*\n3"} in fields
    assert f"<@{ANNA}>" in json.dumps(response.blocks)  # a real mention, not &lt;@…&gt;
    await sender.command(CECI, "team")
    assert last(slack).startswith("Teamöversikt, Barn och unga Nord")
    await sender.command(DAN, "team Barn och unga Syd")
    assert last(slack).startswith("Du har inte behörighet till det.")
    await sender.command(GUN, "team barn och unga syd")
    assert last(slack).startswith("Teamöversikt, Barn och unga Syd")
    await sender.command(GUN, "team Barn och unga Öst")
    assert last(slack).startswith("Det finns ingen enhet som heter ”Barn och unga Öst”.")


async def test_team_visa_in_linked_channel(sender, slack, engine):
    await sender.command(ADA, f"admin koppla {NORD}", channel="C0NORD001")
    assert last(slack) == "Kanalen är nu kopplad till Barn och unga Nord."
    await sender.command(DAN, "team visa", channel="C0NORD001")
    assert slack.responses[-1].public
    await sender.command(DAN, "team", channel="C0NORD001")
    assert not slack.responses[-1].public  # only when asked to show it
    await sender.command(DAN, "team visa", channel="C0ANNAN01")
    assert not slack.responses[-1].public
    assert "Bara du ser det här: kanalen är inte kopplad till din enhet" in last(slack)
    await add_person(engine, "U0SYDCHEF", "chef", SYD)
    await sender.command("U0SYDCHEF", "team visa", channel="C0NORD001")
    assert not slack.responses[-1].public  # linked, but to another enhet


async def test_case(sender, slack):
    await sender.command(ANNA, f"ärende {IFO1.lower()}")
    response = slack.responses[-1]
    text = response.text
    assert text.startswith(f"Ärende {IFO1}\n*Frister*")
    assert "FÖRSENAD · Skyddsbedömning: senast 12 juni 2026, öppen" in text
    assert "20 kap. 1 § SoL (2025:400)" in text
    assert "*Historik*\n12 juni 2026 Anmälan inkom (import)" in text
    assert {"type": "mrkdwn", "text": "*Enhet*\nBarn och unga Nord"} in response.blocks[1]["fields"]
    labels = [
        e["text"]["text"] for b in response.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == [
        "Klar: Skyddsbedömning",
        "Klar: Förhandsbedömning",
        "Förläng: Förhandsbedömning",
    ]
    await sender.command(ANNA, f"ärende {IFO3}")
    assert (
        last(slack)
        == "Du har inte behörighet till det. Ärendet tillhör en annan handläggare eller enhet."
    )
    await sender.command(ANNA, "ärende ZZZZ-ZZZZ")
    assert last(slack) == "Det finns inget ärende med koden ZZZZ-ZZZZ."
    await sender.command(DAN, IFO3)  # a bare code
    assert last(slack).startswith(f"Ärende {IFO3}")
    assert "Omfördela" in json.dumps(slack.responses[-1].blocks, ensure_ascii=False)


async def test_done_stays_done(sender, slack, app, engine, clock):
    await app.planner().tick()  # reminders and escalations of today are now in the outbox
    before = await frist(engine, IFO1, "skyddsbedomning")
    await sender.command(ANNA, f"klar {IFO1} skydd")
    assert last(slack) == (
        f"Klar. Fristen för skyddsbedömning i ärende {IFO1} är markerad som klar av <@{ANNA}> "
        "mån 15 juni."
    )
    done = await frist(engine, IFO1, "skyddsbedomning")
    assert (done.status, done.closed_on, done.done_by) == ("done", date(2026, 6, 15), ANNA)
    assert done.closing_handelse_id is None and done.next_step_at is None
    async with transaction(session_factory(engine)) as session:
        states = set(
            (
                await session.execute(
                    select(Notification.state).where(Notification.frist_id == before.id)
                )
            ).scalars()
        )
    assert "cancelled" in states and "pending" not in states
    # A later import re-derives the case: the deadline marked done by hand stays done.
    await import_rows(app, ("IFO 1", NORD, ANNA, "utredning_inledd", date(2026, 6, 15)))
    assert (await frist(engine, IFO1, "skyddsbedomning")).status == "done"
    await sender.command(ANNA, f"klar {IFO1} skydd")  # named, but closed: said so
    assert last(slack) == f"Fristen för skyddsbedömning i ärende {IFO1} är redan avslutad."


async def test_done_asks_which(sender, slack, engine):
    await sender.command(ANNA, f"klar {IFO1}")
    response = slack.responses[-1]
    assert response.text == f"Ärende {IFO1} har flera öppna frister. Vilken är klar?"
    (first, second) = [e for b in response.blocks if b["type"] == "actions" for e in b["elements"]]
    assert (first["text"]["text"], second["text"]["text"]) == (
        "Klar: Skyddsbedömning",
        "Klar: Förhandsbedömning",
    )
    await sender.command(ANNA, f"klar {IFO1} nåt annat")
    assert last(slack) == f"Ingen öppen frist i ärende {IFO1} passar ”nåt annat”."
    await sender.press(ANNA, "frist_klar", first["value"])
    assert slack.responses[-1].replaces
    assert last(slack).startswith("Klar. Fristen för skyddsbedömning i ärende")


async def test_done_then_undo(sender, slack, engine, clock):
    await sender.command(ANNA, f"klar {IFO1} förhandsbedömning")
    assert last(slack).startswith("Klar. Fristen för förhandsbedömning")
    undo = buttons(slack.responses[-1].blocks)["frist_undo"]
    clock.set(local(2026, 6, 15, 23, 50))  # the same day in Stockholm
    await sender.press(ANNA, "frist_undo", undo)
    assert slack.responses[-1].replaces
    assert last(slack).startswith("Ångrat. Ångrat: fristen för Förhandsbedömning")
    assert (await frist(engine, IFO1, "forhandsbedomning")).status == "open"
    assert (await audit_actions(engine))[-2:] == ["frist_klar_markerad", "frist_klar_angrad"]
    await sender.command(ANNA, f"klar {IFO1} förhandsbedömning")
    undo = buttons(slack.responses[-1].blocks)["frist_undo"]
    clock.set(local(2026, 6, 16, 0, 10))  # the next day: too late
    await sender.press(ANNA, "frist_undo", undo)
    assert "bara samma dag" in last(slack)
    assert (await frist(engine, IFO1, "forhandsbedomning")).status == "done"


async def test_case_history_lists_both_extensions(sender, slack, engine, clock):
    await sender.command(DAN, f"förläng {IFO2} utredning 2026-11-30 Komplettering behövs")
    clock.advance(timedelta(days=1))
    await sender.command(DAN, f"förläng {IFO2} utredning 2026-12-15 Nytt underlag")
    await sender.command(DAN, f"ärende {IFO2}")
    view = last(slack)
    assert view.count("Förlängd: Barnavårdsutredning från") == 2, view
    assert "Skäl: Komplettering behövs" in view and "Skäl: Nytt underlag" in view


async def test_recurring_done_registers_event(sender, slack, app, engine):
    await import_rows(app, ("IFO 4", NORD, ANNA, "placering_verkstalld", date(2026, 1, 10)))
    await sender.command(ANNA, f"klar {code_of('IFO 4')} övervägande")
    assert "Registrerat: Övervägande genomfört, i dag, ärende" in last(slack)
    assert (
        "Nästa frist för övervägande (placering enligt SoL) går ut tisdag 15 december 2026."
        in last(slack)
    )
    assert (await frist(engine, code_of("IFO 4"), "overvagande")).occurrence == 2


# ---- reminder buttons -------------------------------------------------------------------------


async def _reminder(app, slack, clock, user=ANNA) -> dict[str, str]:
    """Plan and deliver today's reminders; the buttons of the user's first one."""

    async def no_wait(seconds):
        clock.advance(timedelta(seconds=seconds))

    delivery = app.delivery(
        SlackMessenger(make_client("xoxb-test", slack.url)), worker="t", sleep=no_wait
    )
    await app.planner().tick()
    await delivery.run_once()
    post = slack.posts_to(user)[0]
    return buttons(post.blocks)


async def test_reminder_buttons(sender, slack, app, engine, clock):
    choices = await _reminder(app, slack, clock)
    assert set(choices) >= {"frist_klar", "frist_extend", "case_show"}
    snooze = "frist_snooze" if "frist_snooze" in choices else "frist_ack"
    await sender.press(ANNA, "frist_ack", choices["frist_klar"])
    assert last(slack) == (
        f"Noterat: inga fler upprepningar om Skyddsbedömning för ärende {IFO1} i dag."
    )
    assert (await frist(engine, IFO1, "skyddsbedomning")).acknowledged_on == date(2026, 6, 15)
    await sender.press(ANNA, "frist_snooze", choices["frist_klar"])
    assert last(slack) == "Jag påminner dig igen tisdag 16 juni 2026 kl. 08.00."
    async with transaction(session_factory(engine)) as session:
        snoozed = (
            await session.execute(
                select(Notification).where(Notification.step.startswith("pam:snooze#"))
            )
        ).scalar_one()
    assert snoozed.step == "pam:snooze#2026-06-16"
    assert snoozed.next_attempt_at == local(2026, 6, 16, 8, 0)
    await sender.press(ANNA, "case_show", choices["case_show"])
    assert last(slack).startswith(f"Ärende {IFO1}")
    await sender.press(ANNA, "frist_klar", choices["frist_klar"])
    assert slack.responses[-1].replaces
    assert last(slack).startswith("Klar. Fristen för skyddsbedömning i ärende")
    await sender.press(ANNA, "frist_klar", choices["frist_klar"])
    assert last(slack) == f"Fristen för skyddsbedömning i ärende {IFO1} är redan avslutad."
    await sender.press(ANNA, snooze, choices["frist_klar"])
    assert last(slack) == f"Fristen för skyddsbedömning i ärende {IFO1} är redan avslutad."
    # the snoozed reminder is not sent for a deadline that is done
    clock.set(local(2026, 6, 16, 8, 0))
    await _reminder(app, slack, clock)
    async with transaction(session_factory(engine)) as session:
        assert (await session.get(Notification, snoozed.id)).state == "cancelled"


async def test_escalation_buttons(sender, slack, app, engine, clock):
    """The chef's escalation has Jag har koll and Omfördela."""
    choices = await _reminder(app, slack, clock, user=DAN)
    assert {"frist_klar", "frist_ack", "frist_extend", "case_show", "case_reassign"} <= set(choices)
    await sender.press(DAN, "frist_ack", choices["frist_ack"])
    assert last(slack).startswith("Noterat: inga fler upprepningar om")
    await sender.press(DAN, "case_reassign", choices["case_reassign"])
    assert modals(slack)[-1].view["callback_id"] == "omfordela"


async def test_buttons_refused_for_others(sender, slack, engine):
    other = await frist(engine, IFO3, "forhandsbedomning")
    for action in ("frist_klar", "frist_snooze", "frist_ack", "frist_extend"):
        await sender.press(ANNA, action, str(other.id))
        assert last(slack).startswith("Du har inte behörighet till det.")
    await sender.press(ANNA, "case_reassign", IFO1)
    assert last(slack) == (
        "Du har inte behörighet till det. Bara en chef på ärendets enhet kan omfördela det."
    )
    await sender.press(ANNA, "frist_klar", "nonsense")
    assert last(slack) == "Knappen fungerar inte längre. Prova /frister."
    assert (await frist(engine, IFO3, "forhandsbedomning")).status == "open"


# ---- forms ------------------------------------------------------------------------------------


def inputs(view) -> dict[str, dict]:
    return {b["block_id"]: b for b in view.view["blocks"] if b["type"] == "input"}


async def test_extend_form(sender, slack, engine, clock):
    utredning = await frist(engine, IFO2, "utredning")
    await sender.press(ANNA, "frist_extend", str(utredning.id))
    (opened,) = modals(slack)
    assert opened.view["callback_id"] == "forlang"
    assert opened.view["title"]["text"] == "Förläng frist"
    assert list(inputs(opened)) == ["datum", "skal", "niva", "beslutsfattare"]
    assert (
        "Förlängning kräver särskilda skäl och beslut av lägst chef enligt delegationsordningen."
        in view_text(opened.view)
    )
    status, body = await sender.submit(
        ANNA,
        opened,
        {
            "datum": "2026-10-02",
            "skal": "Särskilda skäl: komplettering",
            "niva": "chef",
            "beslutsfattare": DAN,
        },
    )
    assert status == 200 and json.loads(body)["response_action"] == "update"
    result = modals(slack)[-1]
    assert result.method == "views.update" and result.view_id == opened.view_id
    assert (
        f"Fristen för barnavårdsutredning i ärende {IFO2} är förlängd till fredag 2 oktober "
        f"2026 (beslut av <@{DAN}>, chef)." in view_text(result.view)
    )
    stored = await frist(engine, IFO2, "utredning")
    assert (stored.extended_to, stored.extension_reason) == (
        date(2026, 10, 2),
        "Särskilda skäl: komplettering",
    )
    assert (stored.extension_decided_by, stored.extension_level) == (DAN, "chef")
    assert stored.next_step_at == clock.now()  # planned again from the new last day
    assert "frist_forlangd" in await audit_actions(engine)
    assert "komplettering" not in await audit_text(engine)  # free text is not audited


async def test_extend_needs_delegation(sender, slack, engine):
    utredning = await frist(engine, IFO2, "utredning")
    await sender.press(ANNA, "frist_extend", str(utredning.id))
    opened = modals(slack)[-1]
    await sender.submit(
        ANNA, opened, {"datum": "2026-10-02", "skal": "Särskilda skäl", "niva": "handlaggare"}
    )
    again = modals(slack)[-1]
    assert again.view["callback_id"] == "forlang"
    assert (
        "Förlängning av barnavårdsutredning kräver beslut av lägst chef enligt "
        "delegationsordningen." in view_text(again.view)
    )
    assert inputs(again)["skal"]["element"]["initial_value"] == "Särskilda skäl"
    assert (await frist(engine, IFO2, "utredning")).extended_to is None


async def test_extend_escalates_without_delegation(app, world, engine):
    """FRISTER_DELEGATION_MODE=escalate: a decision below the level is kept, and the chef is
    told through the outbox."""
    app.settings = app.settings.model_copy(update={"delegation_mode": "escalate"})
    chat = app.chat()
    result = await chat.submit_form(
        Caller(ANNA),
        "forlang",
        {"datum": "2026-10-02", "skal": "Särskilda skäl", "niva": "handlaggare"},
        {"kod": IFO2, "regel": "utredning"},
    )
    assert "är förlängd till fredag 2 oktober 2026" in result.view.intro.text
    assert (await frist(engine, IFO2, "utredning")).extension_level == "handlaggare"
    async with transaction(session_factory(engine)) as session:
        alarm = (
            (
                await session.execute(
                    select(Notification).where(Notification.step.startswith("larm:delegation:"))
                )
            )
            .scalars()
            .all()
        )
        dan = (await session.execute(select(Person).where(Person.chat_user_id == DAN))).scalar_one()
    assert [a.recipient for a in alarm] == [f"person:{dan.id}"]
    assert "Beslut fattat utan delegation" in alarm[0].payload
    assert "beslut_utan_delegation" in await audit_actions(engine)


async def test_extend_command(sender, slack, engine):
    await sender.command(DAN, f"förläng {IFO2} utredning 2026-10-02 Särskilda skäl")
    assert last(slack) == (
        f"Förlängd. Fristen för barnavårdsutredning i ärende {IFO2} är förlängd till fredag "
        f"2 oktober 2026 (beslut av <@{DAN}>, chef)."
    )
    await sender.command(DAN, f"förläng {IFO2} utredning 2026-09-01 x")
    assert last(slack) == "Den nya sista dagen måste komma efter fredag 2 oktober 2026."
    # a handläggare records the chef's decision in the form, prefilled
    await sender.command(ANNA, f"förläng {IFO2} utredning 2026-10-09 Särskilda skäl")
    opened = modals(slack)[-1]
    assert opened.view["callback_id"] == "forlang"
    assert inputs(opened)["datum"]["element"]["initial_date"] == "2026-10-09"
    await sender.command(ANNA, "förläng")
    assert list(inputs(modals(slack)[-1])) == [
        "kod",
        "regel",
        "datum",
        "skal",
        "niva",
        "beslutsfattare",
    ]
    await sender.command(ANNA, f"förläng {IFO1} skydd 2026-10-09 x")
    opened = modals(slack)[-1]  # skyddsbedömning cannot be extended; förhandsbedömning can
    assert "regel" not in inputs(opened)
    assert f"Förhandsbedömning för ärende {IFO1}, sista dag nu" in view_text(opened.view)
    await sender.command(ANNA, f"förläng {IFO3}")
    assert last(slack).startswith("Du har inte behörighet")


async def test_personnummer_refused(sender, slack, engine, caplog):
    await sender.command(ANNA, f"förläng {IFO2} utredning 2026-10-02 pnr {PNR}")
    assert last(slack) == (
        "Det ser ut som ett personnummer eller samordningsnummer. Skriv aldrig sådana nummer i "
        "Frister – inget av det du skrev har sparats."
    )
    await sender.command(ANNA, f"ärende {PNR}")
    assert last(slack).startswith("Det ser ut som ett personnummer")
    utredning = await frist(engine, IFO2, "utredning")
    await sender.press(ANNA, "frist_extend", str(utredning.id))
    _status, body = await sender.submit(
        ANNA, modals(slack)[-1], {"datum": "2026-10-02", "skal": f"Barnet {PNR}", "niva": "chef"}
    )
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert answer["errors"]["skal"].startswith("Det ser ut som ett personnummer")
    assert modals(slack)[-1].method == "views.open"  # nothing saved, nothing shown
    stored = await frist(engine, IFO2, "utredning")
    assert stored.extended_to is None and stored.extension_reason is None
    assert "1212" not in await audit_text(engine)
    assert not any("1212" in record.getMessage() for record in caplog.records)


async def test_new_case(sender, slack, engine):
    await sender.command(ANNA, "ny")
    (opened,) = modals(slack)
    assert opened.view["callback_id"] == "ny"
    assert list(inputs(opened)) == ["handelse", "datum", "kod", "nytt"]  # no level: not a decision
    events = [o["value"] for o in inputs(opened)["handelse"]["element"]["options"]]
    assert events[:4] == [
        "anmalan_inkom",
        "skyddsbedomning_klar",
        "forhandsbedomning_klar",
        "utredning_inledd",
    ]
    assert events.index("placering_upphord") < events.index("lvu_ansokan_inlamnad")  # SoL, LVU
    assert inputs(opened)["datum"]["element"]["initial_date"] == "2026-06-15"
    await sender.submit(
        ANNA, opened, {"handelse": "anmalan_inkom", "datum": "2026-06-15", "nytt": ["nytt"]}
    )
    result = view_text(modals(slack)[-1].view)
    code = re.search(r"Ny ärendekod: \*([0-9A-Z]{4}-[0-9A-Z]{4})\*", result)[1]
    assert "Registrerat: Anmälan inkom, måndag 15 juni 2026, ärende" in result
    assert f"`{code}` Förhandsbedömning: senast mån 29 juni (om 14 dagar)" in result
    async with transaction(session_factory(engine)) as session:
        case = (await session.execute(select(Arende).where(Arende.code == code))).scalar_one()
        owner = await session.get(Person, case.handlaggare_id)
    assert (case.origin, case.fingerprint, owner.chat_user_id) == ("chat", None, ANNA)
    assert "arende_skapat" in await audit_actions(engine)


async def test_new_event_on_a_case(sender, slack, engine):
    await sender.command(BO, "ny")
    opened = modals(slack)[-1]
    await sender.submit(
        BO, opened, {"handelse": "skyddsbedomning_klar", "datum": "2026-06-11", "kod": IFO3}
    )
    assert "Registrerat: Skyddsbedömning gjord, torsdag 11 juni 2026" in view_text(
        modals(slack)[-1].view
    )
    assert (await frist(engine, IFO3, "skyddsbedomning")).status == "done"
    await sender.submit(
        BO, opened, {"handelse": "skyddsbedomning_klar", "datum": "2026-06-11", "kod": IFO3}
    )
    assert "Inget ändrades." in view_text(modals(slack)[-1].view)
    await sender.command(ANNA, "ny")
    await sender.submit(
        ANNA,
        modals(slack)[-1],
        {"handelse": "utredning_inledd", "datum": "2026-06-15", "kod": IFO3},
    )
    assert "Du har inte behörighet till det." in view_text(modals(slack)[-1].view)


async def test_form_errors(sender, slack):
    await sender.command(ANNA, "ny")
    opened = modals(slack)[-1]
    _status, body = await sender.submit(
        ANNA,
        opened,
        {"handelse": "anmalan_inkom", "datum": "2026-06-20", "kod": IFO1, "nytt": ["nytt"]},
    )
    errors = json.loads(body)["errors"]
    assert errors == {
        "datum": "Datumet ligger i framtiden.",
        "kod": "Antingen en ärendekod eller ett nytt ärende, inte båda.",
    }
    _status, body = await sender.submit(ANNA, opened, {"datum": "2026-06-12", "kod": "hej"})
    assert json.loads(body)["errors"] == {
        "handelse": "Välj en händelse.",
        "kod": "Det är ingen ärendekod (en sådan ser ut som K7QM-3XTP).",
    }
    await sender.submit(
        ANNA, opened, {"handelse": "anmalan_inkom", "datum": "2026-06-12", "kod": "ZZZZ-ZZZZ"}
    )
    again = modals(slack)[-1]
    assert again.view["callback_id"] == "ny"
    assert "Det finns inget ärende med koden ZZZZ-ZZZZ." in view_text(again.view)


async def test_level_asked_only_for_a_decision(sender, slack, app, engine):
    await import_rows(app, ("IFO 4", NORD, ANNA, "placering_verkstalld", date(2026, 1, 10)))
    await sender.command(ANNA, "ny")
    await sender.submit(
        ANNA,
        modals(slack)[-1],
        {"handelse": "overvagande_genomfort", "datum": "2026-06-15", "kod": code_of("IFO 4")},
    )
    again = modals(slack)[-1]
    assert "niva" in inputs(again)
    assert "Övervägande genomfört är ett beslut: välj på vilken nivå det fattades." in view_text(
        again.view
    )
    assert (await frist(engine, code_of("IFO 4"), "overvagande")).status == "open"


async def test_decision_below_delegation_refused(sender, slack, app, engine):
    await import_rows(app, ("IFO 4", NORD, ANNA, "placering_verkstalld", date(2026, 1, 10)))
    await sender.command(ANNA, "ny")
    typed = {"handelse": "overvagande_genomfort", "datum": "2026-06-15", "kod": code_of("IFO 4")}
    await sender.submit(ANNA, modals(slack)[-1], typed)  # asks for the level
    await sender.submit(ANNA, modals(slack)[-1], typed | {"niva": "chef"})
    assert (
        "Övervägande (placering enligt SoL) ska beslutas av lägst utskott enligt "
        "delegationsordningen." in view_text(modals(slack)[-1].view)
    )
    assert (await frist(engine, code_of("IFO 4"), "overvagande")).status == "open"


async def test_reassign(sender, slack, engine):
    await sender.command(DAN, f"ärende {IFO1}")
    value = buttons(slack.responses[-1].blocks)["case_reassign"]
    await sender.press(DAN, "case_reassign", value)
    opened = modals(slack)[-1]
    assert opened.view["callback_id"] == "omfordela"
    picker = inputs(opened)["handlaggare"]["element"]
    assert picker["type"] == "static_select"  # only staff who may take the case
    offered = {o["value"] for o in picker["options"]}
    assert BO in offered and EVA not in offered and ADA not in offered and ANNA not in offered
    await sender.submit(DAN, opened, {"handlaggare": EVA})
    assert "<@U0EVA0001> arbetar inte på Barn och unga Nord." in view_text(modals(slack)[-1].view)
    await sender.submit(DAN, opened, {"handlaggare": BO})
    assert (
        f"<@{BO}> är nu handläggare för ärende {IFO1} och får ett meddelande om ärendets "
        "öppna frister." in view_text(modals(slack)[-1].view)
    )
    async with transaction(session_factory(engine)) as session:
        case = (await session.execute(select(Arende).where(Arende.code == IFO1))).scalar_one()
        bo = (await session.execute(select(Person).where(Person.chat_user_id == BO))).scalar_one()
        told = (
            (
                await session.execute(
                    select(Notification).where(Notification.step.startswith("pam:omfordelad"))
                )
            )
            .scalars()
            .all()
        )
        anna = (
            await session.execute(select(Person).where(Person.chat_user_id == ANNA))
        ).scalar_one()
        previous = (
            (
                await session.execute(
                    select(Notification).where(Notification.step.startswith("info:omfordelad"))
                )
            )
            .scalars()
            .all()
        )
    assert case.handlaggare_id == bo.id
    assert {n.recipient for n in told} == {f"person:{bo.id}"} and len(told) == 2
    assert [n.recipient for n in previous] == [f"person:{anna.id}"]  # Anna is told
    assert "arende_omfordelat" in await audit_actions(engine)
    # Bo's home tab was refreshed with the case
    bo_home = [v for v in slack.views if v.method == "views.publish" and v.user_id == BO][-1]
    assert IFO1 in view_text(bo_home.view)


async def test_absence(sender, slack, engine):
    await sender.command(ANNA, f"frånvaro 2026-06-15 2026-06-19 <@{BO}|bo>")
    assert last(slack) == (
        "Frånvaro registrerad måndag 15 juni 2026 – fredag 19 juni 2026. "
        f"<@{BO}> får dina påminnelser under tiden."
    )
    await sender.command(ANNA, "frånvaro")
    assert last(slack).startswith(
        "Du är registrerad som frånvarande måndag 15 juni 2026 – fredag 19 juni 2026."
    )
    await sender.command(BO)  # Bo stands in: Anna's cases are his to act on this week
    assert IFO1 in last(slack) and f"<@{ANNA}>" in last(slack)
    await sender.command(BO, f"klar {IFO1} skydd")
    assert last(slack).startswith("Klar. Fristen för skyddsbedömning i ärende")
    await sender.command(ANNA, "frånvaro av")
    assert last(slack) == "Din frånvaro är borttagen: påminnelserna kommer till dig igen."
    await sender.command(BO, f"klar {IFO1} förhands")
    assert last(slack).startswith("Du har inte behörighet")
    await sender.command(ANNA, "frånvaro 2026-06-22")
    assert last(slack) == (
        "Frånvaro registrerad måndag 22 juni 2026 – måndag 22 juni 2026. Din chef får dina "
        "påminnelser under tiden."
    )
    await sender.command(ANNA, f"frånvaro 2026-06-22 2026-06-23 <@{STRANGER}>")
    assert last(slack) == f"<@{STRANGER}> finns inte i Fristers personalregister."
    await sender.command(ANNA, "frånvaro 2026-06-23 2026-06-22")
    assert last(slack).startswith("Sista dagen kommer före den första.")


async def test_statistics(sender, slack, app):
    await sender.command(ANNA, f"klar {IFO1} skydd")
    await sender.command(DAN, "statistik")
    assert last(slack) == (
        "Statistik, Barn och unga Nord\n"
        "Öppna frister: 5 (försenade: 2, förlängda: 0).\n"  # + 20 kap. 4 § information
        "Klara senaste 30 dagarna: 1, varav 0 i tid och 1 för sent."
    )
    await sender.command(GUN, "stat")
    assert last(slack).startswith("Statistik, alla enheter")
    per_unit = last(slack).split("*Per enhet*")[1].split("*Per frist*")
    assert (
        "Barn och unga Nord: öppna 5, försenade 2, klara senaste 30 dagarna 1 (varav 1 för sent)"
        in per_unit[0]
    )
    assert "Barn och unga Syd: öppna 2" in per_unit[0]
    assert "Skyddsbedömning: öppna 2, försenade 2, klara senaste 30 dagarna 1" in per_unit[1]
    await sender.command(CECI, "statistik")
    assert last(slack) == (
        "Du har inte behörighet till det. Statistiken är för enhetens chef och socialchefen."
    )


async def test_help(sender, slack):
    await sender.command(ANNA, "hjälp")
    text = last(slack)
    assert text.startswith("Fristers kommandon\n`/frister` – dina frister de närmaste 14 dagarna")
    assert "`/frister frånvaro FRÅN TILL [@ersättare]`" in text
    assert "team" not in text
    await sender.command(DAN, "hj")
    assert "`/frister team`" in last(slack) and "`/frister statistik`" in last(slack)
    await sender.command(ADA, "?")
    assert "`/frister admin koppla ENHET`" in last(slack)


async def test_unknown_command(sender, slack):
    await sender.command(ANNA, "försnade")
    assert last(slack) == (
        "Jag förstod inte ”försnade”. Menade du `/frister försenade`? "
        "`/frister hjälp` visar alla kommandon."
    )
    await sender.command(ANNA, "klar")
    assert (
        last(slack) == "Skriv `/frister klar KOD [frist]`, till exempel `/frister klar K7QM-3XTP`."
    )


async def test_unknown_user(sender, slack, engine):
    polite = (
        "Hej! Du finns inte i Fristers personalregister, så jag kan inte visa dig något. Be din "
        "chef eller Fristers administratör att lägga till dig."
    )
    await sender.command(STRANGER, "team")
    assert last(slack) == polite
    await sender.press(STRANGER, "frist_klar", "1")
    assert last(slack) == polite
    await sender.event({"type": "app_home_opened", "user": STRANGER, "tab": "home"})
    (home,) = [v for v in slack.views if v.user_id == STRANGER]
    assert polite in view_text(home.view)
    assert IFO1 not in view_text(home.view)
    assert (await audit_actions(engine)).count("atkomst_nekad") == 3


async def test_admin(sender, slack, engine):
    await sender.command(ADA, f"admin eskalering {NORD}", channel="C0ESKALER")
    assert last(slack).startswith(
        "Eskaleringar och leveransfel för Barn och unga Nord kommer nu till den här kanalen."
    )
    await sender.command(ADA, "admin roll <@U0NY00001|ny> chef Barn och unga Nord")
    assert last(slack) == "<@U0NY00001> är nu chef, Barn och unga Nord."
    await sender.command(ADA, "admin")
    assert "Barn och unga Nord: eskaleringskanal <#C0ESKALER>" in last(slack)
    assert "<#C0ESKALER>" in json.dumps(slack.responses[-1].blocks)
    async with transaction(session_factory(engine)) as session:
        unit = (await session.execute(select(Enhet).where(Enhet.name == NORD))).scalar_one()
        new = (
            await session.execute(select(Person).where(Person.chat_user_id == "U0NY00001"))
        ).scalar_one()
    assert unit.escalation_channel == "C0ESKALER"
    assert (new.role, new.enhet_id) == ("chef", unit.id)
    await sender.command("U0NY00001", "team")
    assert last(slack).startswith("Teamöversikt, Barn och unga Nord")
    await sender.command(ADA)  # pointed to the configuration, not refused
    assert last(slack) == "Du är administratör: ställ in Frister med `/frister admin`."
    await sender.command(DAN, f"admin koppla {NORD}", channel="C0NORD001")
    assert last(slack) == (
        "Du har inte behörighet till det. Bara Fristers administratörer kan ändra inställningarna."
    )
    await sender.command(ADA, f"admin eskalering {NORD} av")
    assert last(slack) == "Barn och unga Nord har ingen eskaleringskanal nu."


async def test_home(sender, slack):
    await sender.event({"type": "app_home_opened", "user": ANNA, "tab": "home"})
    (anna,) = [v for v in slack.views if v.user_id == ANNA]
    text = view_text(anna.view)
    assert anna.view["type"] == "home"
    assert "Mina frister de närmaste 14 dagarna" in text and IFO1 in text
    assert "Försenade, Barn och unga Nord" not in text
    assert buttons(anna.view["blocks"]) == {"home_new": "ny"}
    await sender.event({"type": "app_home_opened", "user": DAN, "tab": "home"})
    dan = view_text([v for v in slack.views if v.user_id == DAN][-1].view)
    assert "Försenade, Barn och unga Nord" in dan and "Kommande 14 dagar, Barn och unga Nord" in dan
    assert IFO3 in dan and IFO9 not in dan
    await sender.event({"type": "app_home_opened", "user": ANNA, "tab": "messages"})
    assert len([v for v in slack.views if v.user_id == ANNA]) == 1
    # a change refreshes the home tab
    await sender.command(ANNA, f"klar {IFO1} skydd")
    refreshed = view_text([v for v in slack.views if v.user_id == ANNA][-1].view)
    assert "Skyddsbedömning" not in refreshed
    await sender.press(ANNA, "home_new", "ny", container="view")
    assert modals(slack)[-1].view["callback_id"] == "ny"
    assert "Påminnelser kommer som direktmeddelanden vardagar kl. 08.00" in refreshed


async def test_form_not_opened(sender, slack):
    slack.inject("views.open", Fault.error("expired_trigger_id"))
    await sender.command(ANNA, "ny")
    assert last(slack) == "Formuläret kunde inte öppnas. Försök igen."


async def test_long_answer_pages(sender, slack, app):
    rows = [(f"IFO L{n}", NORD, CECI, "anmalan_inkom", date(2026, 6, 12)) for n in range(320)]
    await import_rows(app, *rows)
    await sender.command(CECI)
    pages = slack.responses
    assert len(pages) == 2
    assert pages[0].text.startswith("Dina frister de närmaste 14 dagarna (1/2)")
    assert pages[1].text.startswith("Dina frister de närmaste 14 dagarna (2/2)")
    for page in pages:
        assert len(page.blocks) <= 50 and block_errors(page.blocks) == []
    listed = sum(json.dumps(p.blocks, ensure_ascii=False).count("Förhandsbedömning") for p in pages)
    assert listed == 320


# ---- Socket Mode ------------------------------------------------------------------------------


async def test_socket_mode(app, slack, world, monkeypatch):
    """The default mode: Runtime connects the Bolt app with AsyncSocketModeHandler (the
    WebSocket itself is Slack's; here envelopes are handed to the handler directly)."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.socket_mode.request import SocketModeRequest

    connected = []

    async def connect(self):
        connected.append(self.app_token)

    async def close(self):
        connected.append("closed")

    monkeypatch.setattr(AsyncSocketModeHandler, "connect_async", connect)
    monkeypatch.setattr(AsyncSocketModeHandler, "close_async", close)
    app.settings = app.settings.model_copy(
        update={"mode": "socket", "slack_app_token": SecretStr("xapp-1-test")}
    )
    bolt = build(
        app.services(),
        client=AsyncWebClient(token="xoxb-test", base_url=slack.url),
        signing_secret=None,
        process_before_response=True,
    )
    runtime = Runtime(app, SlackMessenger(make_client("xoxb-test", slack.url)), bolt)

    async def no_delivery() -> None:  # this test is about the chat, not the outbox
        return None

    runtime.deliver = no_delivery
    await runtime.start()
    try:
        assert connected == ["xapp-1-test"]
        acks = []

        class Client:  # what the handler acknowledges on
            logger = runtime.socket.client.logger

            async def send_socket_mode_response(self, response):
                acks.append(response.envelope_id)

        def envelope(n: int) -> SocketModeRequest:
            return SocketModeRequest(
                type="slash_commands",
                envelope_id=f"env{n}",
                payload={
                    "team_id": "T0STANDIN",
                    "user_id": ANNA,
                    "channel_id": "D0DIREKT",
                    "command": "/frister",
                    "text": "försenade",
                    "response_url": slack.response_url(f"sock{n}"),
                    "trigger_id": f"{n}.sock",
                },
            )

        await runtime.socket.handle(Client(), envelope(1))
        await runtime.socket.handle(Client(), envelope(1))  # redelivered: one answer
        await runtime.socket.handle(Client(), envelope(2))
        assert acks == ["env1", "env1", "env2"]
        assert [r.key for r in slack.responses] == ["sock1", "sock2"]
        assert last(slack).startswith("Dina försenade frister")
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{runtime.port}/slack/events") as response,
        ):
            assert response.status == 404  # no inbound Slack endpoint in Socket Mode
    finally:
        await runtime.stop()
    assert connected[-1] == "closed"


# ---- the chat package without Slack ---------------------------------------------------------


def test_every_command_has_a_handler():
    assert set(HANDLERS) == set(typing.get_args(cmd.Command))


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("", True),
        ("30", True),
        ("försenade", True),
        ("team visa", True),
        (f"ärende {IFO1}", True),
        ("statistik", True),
        ("hjälp", True),
        ("admin", True),
        ("förläng", False),  # opens a form, and may write
        ("xyzzy", True),
        (f"klar {IFO1}", False),
        ("ny", False),
        ("frånvaro av", False),
        ("admin koppla Nord", False),
        (f"klar {PNR}", True),  # refused for the personnummer: nothing is written
    ],
)
def test_is_question(app, text, question):
    assert app.chat().is_question(text) is question


async def test_answers_use_neutral_markup(app, world):
    """The service writes neutral markup; only the adapter knows Slack's `<@…>`."""
    answer = await app.chat().command(Caller(DAN), "försenade")
    text = answer.messages[0].text
    assert markup.mention(ANNA) in text and f"<@{ANNA}>" not in text
    result = await app.chat().submit_form(
        Caller(ANNA), "ny", {"handelse": "anmalan_inkom", "datum": "2026-06-15", "nytt": "nytt"}, {}
    )
    code = re.search(r"Ny ärendekod: \ue002(\S+)\ue003\.", result.view.intro.text)
    assert code is not None and "*" not in result.view.intro.text


def test_free_text_loses_markup_markers():
    forged = f"skäl {markup.mention('U0DAN0001')} {markup.bold('x')}"
    assert clean(forged) == "skäl @U0DAN0001 x"


def test_pages_follow_the_platform_limits():
    small = Layout(replace(SLACK_LIMITS, max_pages=2, paragraphs_per_page=2, lines_per_paragraph=2))
    pages = small.pages("Titel", [f"rad {n}" for n in range(20)])
    assert [p.title for p in pages] == ["Titel (1/2)", "Titel (2/2)"]
    assert pages[-1].body[-1] == "… och fler rader (12). Begränsa frågan, t.ex. `/frister 7`."
