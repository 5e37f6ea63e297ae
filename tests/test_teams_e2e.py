"""Teams end to end, with real parts: the aiohttp Teams app (`build_teams_app`) behind the
SDK's JWT validation, activities signed with a local key (bot.testing.teams_tokens), the
TeamsStandIn as the Bot Connector at the activities' serviceUrl (it validates every card), a
real database (SQLite; PostgreSQL too when FRISTER_TEST_DATABASE_URL is set), the real planner
and outbox delivery through TeamsMessenger, on an injected clock (nothing sleeps)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.config import load_settings
from bot.services.delivery import DeliveryResult
from bot.testing.teams_activities import TeamsParty, button, card_actions
from bot.testing.teams_standin import Fault, TeamsStandIn
from bot.testing.teams_tokens import SigningKey, local_jwks
from handlers.teams.app import build_teams_app
from handlers.teams.messenger import TeamsMessenger
from storage.database import session_factory, transaction
from storage.models import Arende, AuditEvent, ChatAddress, Frist, Handelse, Notification
from tests.conftest import TEST_KEY
from tests.factories import add_person, import_rows, person_id, set_escalation_channel

APP_ID = "9a8b7c6d-5e4f-3a2b-1c0d-efabcdef0123"
BOT_ID = f"28:{APP_ID}"
TENANT = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
ANNA = "6b7c8d9e-0000-4000-8000-00000000a001"  # handläggare (Entra object id)
CHEF = "6b7c8d9e-0000-4000-8000-00000000c001"
ENHET = "Barn och unga Nord"
ANNA_CHAT = "a:1on1-anna"
CHEF_CHAT = "a:1on1-chef"
ESCALATION = "19:eskalering@thread.tacv2"
TEAM_CHANNEL = "19:barn-och-unga@thread.tacv2"
REMINDER_BUTTONS = {"frist_klar", "frist_snooze", "frist_extend", "case_show"}


class LocalTokens:
    """Frister's own outgoing token (MSAL in production), made up locally."""

    def __init__(self, configuration) -> None:
        self.configuration = configuration

    async def get_access_token(self, resource_url, scopes, force_refresh=False) -> str:
        return "local-outgoing-token"


@dataclass
class Teams:
    """One Frister on Teams: the app served on loopback, the connector stand-in, the signer."""

    app: App
    standin: TeamsStandIn
    party: TeamsParty
    key: SigningKey
    url: str
    messenger: TeamsMessenger
    slept: list[float]

    async def post(self, activity: dict, *, token: str | None = "signed") -> tuple[int, dict]:
        if token == "signed":
            token = self.key.sign(audience=APP_ID, service_url=self.standin.url)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=activity, headers=headers) as response,
        ):
            text = await response.text()
            body = await response.json(content_type=None) if text.strip() else {}
            return response.status, body

    async def tick(self) -> DeliveryResult:
        """One planning and delivery cycle, as `frister serve` runs it."""
        await self.app.planner().tick()

        async def sleep(seconds: float) -> None:  # the pace: time moves, nothing waits
            self.slept.append(seconds)
            self.app.clock.advance(timedelta(seconds=seconds))

        delivery = self.app.delivery(self.messenger, worker="e2e", sleep=sleep)
        return await delivery.run_once()


@pytest.fixture
async def teams(settings, engine, clock):
    key = SigningKey()
    async with local_jwks(key), TeamsStandIn(tenant_id=TENANT, bot_id=BOT_ID) as standin:
        values = {
            "FRISTER_PLATFORM": "teams",
            "FRISTER_TEAMS_APP_ID": APP_ID,
            "FRISTER_TEAMS_TENANT_ID": TENANT,
            "FRISTER_TEAMS_CLIENT_SECRET": "not-used-by-the-local-token-provider",
            "FRISTER_TEAMS_SERVICE_HOSTS": "127.0.0.1",
            "FRISTER_PSEUDONYM_KEY": TEST_KEY,
            "FRISTER_ADMIN_CHANNEL": ESCALATION,
        }
        app = App(load_settings(**values), clock=clock, engine_override=engine)
        runner = web.AppRunner(
            build_teams_app(app, app.settings, provider=LocalTokens), access_log=None
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
        messenger = TeamsMessenger(app.address_book(), bot_id=BOT_ID, clock=clock)
        for user, name, chat in ((ANNA, "Anna Andersson", ANNA_CHAT), (CHEF, "Chef", CHEF_CHAT)):
            standin.add_user(user, name)
            standin.add_conversation(chat, (user,), personal=True)  # Teams makes it on install
        standin.add_conversation(ESCALATION, (ANNA, CHEF))
        standin.add_conversation(TEAM_CHANNEL, (ANNA, CHEF))
        party = TeamsParty(
            standin.url, TENANT, BOT_ID, names={ANNA: "Anna Andersson", CHEF: "Dan Chef"}
        )
        try:
            yield Teams(app, standin, party, key, url, messenger, [])
        finally:
            await messenger.aclose()
            await runner.cleanup()
    assert standin.protocol_errors == []  # every card Frister sent was valid


async def staff(engine) -> None:
    await add_person(engine, ANNA, "handlaggare", ENHET)
    await add_person(engine, CHEF, "chef", ENHET)
    await set_escalation_channel(engine, ENHET, ESCALATION)


async def install(teams: Teams, *people: tuple[str, str]) -> None:
    for user, chat in people:
        status, _body = await teams.post(teams.party.install(user, chat))
        assert status in (200, 202)
    # the escalation channel becomes reachable when Frister is spoken to there
    status, _body = await teams.post(teams.party.channel_message(CHEF, ESCALATION, "hjälp"))
    assert status in (200, 202)


async def rows(engine, model, *where):
    async with transaction(session_factory(engine)) as session:
        return list((await session.execute(select(model).where(*where))).scalars().all())


async def count(engine, model) -> int:
    async with transaction(session_factory(engine)) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def cards_in(standin: TeamsStandIn, conversation: str) -> list:
    return [s for s in standin.sent_in(conversation) if s.card is not None]


def reminders(standin: TeamsStandIn, conversation: str) -> list:
    return [
        s
        for s in cards_in(standin, conversation)
        if {a.get("verb") for a in card_actions(s.card)} >= REMINDER_BUTTONS
    ]


# ---- install → reminder card → Klar → done, no later reminder ---------------------------------


async def test_install_reminder_klar_and_no_later_reminder(engine, teams):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    [address] = await rows(engine, ChatAddress, ChatAddress.key == ANNA)
    assert (address.conversation_id, address.service_url) == (ANNA_CHAT, teams.standin.url)
    await import_rows(
        teams.app, ("IFO 2026-1", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )

    result = await teams.tick()
    assert result.sent >= 1 and result.failed == 0, result
    [reminder] = reminders(teams.standin, ANNA_CHAT)
    titles = {a["title"] for a in card_actions(reminder.card)}
    assert {"Klar", "Påminn i morgon", "Begär förlängning", "Visa ärende"} <= titles
    assert {a["type"] for a in card_actions(reminder.card)} == {"Action.Execute"}
    frist_id = int(button(reminder.card, "frist_klar")["data"]["value"])
    [frist] = await rows(engine, Frist, Frist.id == frist_id)
    assert frist.status == "open"

    klar_button = button(reminder.card, "frist_klar")
    klar = teams.party.press(ANNA, ANNA_CHAT, klar_button, reminder.id)
    status, body = await teams.post(klar)
    assert status == 200, body
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    replaced = body["value"]  # Teams shows this card instead of the pressed one
    assert "frist_klar" not in {a.get("verb") for a in card_actions(replaced)}
    [frist] = await rows(engine, Frist, Frist.id == frist_id)
    assert frist.status == "done"
    done_at = frist.done_at

    # Pressed again (a redelivery, and a second press of a stale card): nothing twice.
    status, _body = await teams.post(klar)
    assert status == 200
    again = teams.party.press(ANNA, ANNA_CHAT, button(reminder.card, "frist_klar"), reminder.id)
    status, body = await teams.post(again)
    assert status == 200
    [frist] = await rows(engine, Frist, Frist.id == frist_id)
    assert (frist.status, frist.done_at) == ("done", done_at)
    assert len(await rows(engine, Handelse)) == 1  # no event recorded twice

    # Later cycles send no reminder for it (its case's other deadlines may still remind).
    for _day in range(3):
        teams.app.clock.advance(timedelta(days=1))
        await teams.tick()
    later = [
        r
        for r in reminders(teams.standin, ANNA_CHAT)
        if button(r.card, "frist_klar") == klar_button
    ]
    assert [r.id for r in later] == [reminder.id]
    for row in await rows(engine, Notification, Notification.frist_id == frist_id):
        assert row.state in ("sent", "cancelled"), row


async def test_klar_then_angra_opens_the_deadline_again(engine, teams):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-1", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    await teams.tick()
    [reminder] = reminders(teams.standin, ANNA_CHAT)
    frist_id = int(button(reminder.card, "frist_klar")["data"]["value"])
    status, body = await teams.post(
        teams.party.press(ANNA, ANNA_CHAT, button(reminder.card, "frist_klar"), reminder.id)
    )
    assert status == 200, body
    done_card = body["value"]
    undo = button(done_card, "frist_undo")  # the card that replaced the reminder offers Ångra
    titles = {a.get("verb"): a.get("title") for a in card_actions(done_card)}
    assert titles["frist_undo"] == "Ångra"
    status, body = await teams.post(teams.party.press(ANNA, ANNA_CHAT, undo, reminder.id))
    assert status == 200, body
    assert "frist_undo" not in {a.get("verb") for a in card_actions(body["value"])}
    [frist] = await rows(engine, Frist, Frist.id == frist_id)
    assert (frist.status, frist.closed_on, frist.done_by) == ("open", None, None)
    async with transaction(session_factory(engine)) as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert actions[-2:] == ["frist_klar_markerad", "frist_klar_angrad"]


# ---- @Frister mina in a channel → only in the asker's 1:1 chat ---------------------------------


async def test_mina_in_a_channel_is_answered_only_in_the_1on1_chat(engine, teams):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-2", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    before = len(teams.standin.sent_in(ANNA_CHAT))
    status, _body = await teams.post(teams.party.channel_message(ANNA, TEAM_CHANNEL, "mina"))
    assert status in (200, 202)

    answers = teams.standin.sent_in(ANNA_CHAT)[before:]
    assert len(answers) == 1 and answers[0].card is not None
    code = (await rows(engine, Arende))[0].code
    assert code in str(answers[0].card)  # the asker's deadlines, in their 1:1 chat
    in_channel = teams.standin.sent_in(TEAM_CHANNEL)
    assert [s.text for s in in_channel] == ["Svaret finns i din chatt med Frister."]
    assert all(s.card is None and code not in str(s.activity) for s in in_channel)


# ---- the ny-händelse dialog --------------------------------------------------------------------


async def open_register_dialog(teams: Teams, user: str, chat: str) -> tuple[dict, dict]:
    """`ny` typed in the 1:1 chat, the offered button pressed: (the button's data, the dialog
    card)."""
    before = len(teams.standin.sent_in(chat))
    status, _body = await teams.post(teams.party.message(user, chat, "ny"))
    assert status in (200, 202)
    [offer] = teams.standin.sent_in(chat)[before:]
    [opener] = card_actions(offer.card)
    assert opener["data"]["msteams"] == {"type": "task/fetch"}
    status, body = await teams.post(teams.party.fetch(user, chat, opener["data"]))
    assert status == 200
    assert body["task"]["type"] == "continue"
    return opener["data"], body["task"]["value"]["card"]["content"]


def submit_data(card: dict) -> dict:
    [submit] = card_actions(card)
    return dict(submit["data"])


def inputs(card: dict) -> dict[str, dict]:
    return {e["id"]: e for e in card["body"] if str(e.get("type", "")).startswith("Input.")}


@pytest.mark.parametrize("picked", [ANNA, ANNA.upper()], ids=["guid", "upper-case guid"])
async def test_register_dialog_creates_the_case(engine, teams, picked):
    await staff(engine)
    await install(teams, (CHEF, CHEF_CHAT))
    _opener, card = await open_register_dialog(teams, CHEF, CHEF_CHAT)
    fields = inputs(card)
    assert {"handelse", "datum", "kod", "nytt", "handlaggare"} <= set(fields)
    assert fields["handlaggare"]["type"] == "Input.ChoiceSet"  # the people picker (Entra ids)
    data = submit_data(card) | {
        "handelse": "anmalan_inkom",
        "datum": teams.app.clock.now().date().isoformat(),
        "nytt": "true",
        "handlaggare": picked,  # another person, by Entra object id (the people picker)
    }
    status, body = await teams.post(teams.party.submit(CHEF, CHEF_CHAT, data))
    assert status == 200, body
    [case] = await rows(engine, Arende)
    assert body["task"]["type"] == "continue"
    assert case.code in str(body["task"]["value"]["card"])  # the answer names the new case
    anna = await person_id(engine, ANNA)
    assert case.handlaggare_id == anna  # the person picked in the form, not the chef
    [handelse] = await rows(engine, Handelse)
    assert handelse.arende_id == case.id


INVALID = {
    "personnummer in free text": ({"kod": "19121212-1212", "nytt": "false"}, "personnummer"),
    "a date that does not exist": ({"datum": "2026-02-30", "nytt": "true"}, "datum"),
    "a date in the future": ({"datum": "2099-01-01", "nytt": "true"}, "framtiden"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_register_dialog_shows_the_problem_and_stores_nothing(engine, teams, case):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    _opener, card = await open_register_dialog(teams, ANNA, ANNA_CHAT)
    values, problem = INVALID[case]
    data = submit_data(card) | {
        "handelse": "anmalan_inkom",
        "datum": teams.app.clock.now().date().isoformat(),
    }
    data |= values
    status, body = await teams.post(teams.party.submit(ANNA, ANNA_CHAT, data))
    assert status == 200
    again = body["task"]["value"]["card"]["content"]
    assert set(inputs(again)) == set(inputs(card))  # the form again …
    top = again["body"][0]
    assert top["type"] == "TextBlock" and top["text"] == "Inte sparat"  # … with the problem on top
    shown = " ".join(b.get("text", "") for b in again["body"][:3]).lower()
    assert problem in shown or problem == "datum", shown
    assert await count(engine, Arende) == 0
    assert await count(engine, Handelse) == 0
    if "personnummer" in case:  # never echoed back
        assert "19121212" not in str(body)


# ---- people Frister cannot reach ---------------------------------------------------------------


async def failure_reports(teams: Teams) -> list:
    return [
        s
        for s in teams.standin.sent_in(ESCALATION)
        if s.card is not None and s.text.startswith("En påminnelse kunde inte levereras")
    ]


@pytest.mark.parametrize("why", ["no stored address", "403 MessageWritesBlocked"])
async def test_an_unreachable_person_is_a_visible_failure(engine, teams, why):
    await staff(engine)
    people = [(CHEF, CHEF_CHAT)]
    if why != "no stored address":
        people.append((ANNA, ANNA_CHAT))
    await install(teams, *people)
    if why == "403 MessageWritesBlocked":
        teams.standin.block(ANNA_CHAT)
    await import_rows(
        teams.app, ("IFO 2026-3", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    first = await teams.tick()
    expected = "no_conversation_reference" if why == "no stored address" else "message_writes"
    assert first.failed >= 1 and any(expected in e for e in first.errors), first
    await teams.tick()  # the failure reports go out in the next round
    reports = await failure_reports(teams)
    assert reports, [s.text for s in teams.standin.sent_in(ESCALATION)]
    failed = [n for n in await rows(engine, Notification) if n.state == "failed"]
    assert failed and all(n.recipient.startswith("person:") for n in failed)
    assert len(reports) == len(failed)  # one visible notice per message that did not arrive
    assert reminders(teams.standin, ANNA_CHAT) == []


# ---- 429 with Retry-After ----------------------------------------------------------------------


async def test_429_waits_for_retry_after_and_then_sends(engine, teams):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT), (CHEF, CHEF_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-4", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    teams.standin.inject(Fault.rate_limit(7), route="send", conversation=ANNA_CHAT)
    first = await teams.tick()
    assert first.retried >= 1 and first.failed == 0, first
    assert reminders(teams.standin, ANNA_CHAT) == []
    assert not any(s >= 7 for s in teams.slept)  # waited by the clock, not by sleeping

    teams.app.clock.advance(timedelta(seconds=6))
    await teams.tick()
    assert reminders(teams.standin, ANNA_CHAT) == []  # not before Retry-After

    teams.app.clock.advance(timedelta(seconds=1))
    await teams.tick()
    assert len(reminders(teams.standin, ANNA_CHAT)) == 1
    throttled = [c for c in teams.standin.calls_to("send") if c.fault == "429"]
    assert len(throttled) == 1
    assert all(n.state == "sent" for n in await rows(engine, Notification))


# ---- the home card ------------------------------------------------------------------------------


async def home_id(teams: Teams, user: str) -> str | None:
    async with teams.app.unit_of_work() as uow:
        entry = (await uow.outbox.get_state(f"teams:home:{user}")).get(f"teams:home:{user}")
    return entry.value if entry else None


def home_cards(standin: TeamsStandIn, conversation: str) -> list:
    return [
        s
        for s in cards_in(standin, conversation)
        if (s.card or {}).get("body", [{}])[0].get("text") == "Mina frister"
    ]


async def test_home_card_on_install_on_hem_and_refreshed_in_place(engine, teams):
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    [first] = home_cards(teams.standin, ANNA_CHAT)  # sent on install
    assert await home_id(teams, ANNA) == first.id
    assert "inga öppna frister" in str(first.card).lower()

    await import_rows(
        teams.app, ("IFO 2026-5", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    status, _body = await teams.post(teams.party.message(ANNA, ANNA_CHAT, "hem"))
    assert status in (200, 202)
    first_again, home = home_cards(teams.standin, ANNA_CHAT)
    assert first_again.id == first.id and home.id != first.id
    assert await home_id(teams, ANNA) == home.id  # the newest one is kept up to date
    code = (await rows(engine, Arende))[0].code
    assert code in str(home.card) and "Skyddsbedömning" in str(home.card)

    await teams.tick()
    [reminder] = reminders(teams.standin, ANNA_CHAT)
    klar = teams.party.press(ANNA, ANNA_CHAT, button(reminder.card, "frist_klar"), reminder.id)
    assert (await teams.post(klar))[0] == 200
    updates = [c for c in teams.standin.calls_to("update") if c.path.endswith(f"/{home.id}")]
    assert len(updates) == 1  # refreshed in place (PUT activity), no new card
    assert len(home_cards(teams.standin, ANNA_CHAT)) == 2
    assert len(home.edits) == 1
    assert "Skyddsbedömning" in str(home.edits[0]) and "Skyddsbedömning" not in str(home.card)


# ---- the staff register and the case import take Entra object ids in any case ------------------


async def test_registers_with_upper_case_entra_ids_know_the_teams_sender(engine, teams):
    await teams.app.staff_importer().run(
        f"anvandare;epost;roll;enhet;ersattare\n{ANNA.upper()};;handläggare;{ENHET};\n"
    )
    await import_rows(
        teams.app,
        ("IFO 2026-6", ENHET, ANNA.upper(), "anmalan_inkom", teams.app.clock.now().date()),
    )
    [case] = await rows(engine, Arende)
    assert case.handlaggare_id == await person_id(engine, ANNA)  # one person, not two
    await install(teams, (ANNA, ANNA_CHAT))
    before = len(teams.standin.sent_in(ANNA_CHAT))
    status, _body = await teams.post(teams.party.message(ANNA, ANNA_CHAT, "mina"))
    assert status in (200, 202)
    [answer] = teams.standin.sent_in(ANNA_CHAT)[before:]
    assert case.code in str(answer.card)  # Teams sends the id in lower case: she is known


# ---- `frister tick --now` on Teams -------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tick_command_sends_the_reminder_card(engine, teams, database_url):
    """The operator's one-shot cycle (`frister tick --now`) sends through Teams when
    FRISTER_PLATFORM=teams: to the stored address's service URL, as the running bot would."""
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-9", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))},
        "FRISTER_DATABASE_URL": database_url,
        "FRISTER_PLATFORM": "teams",
        "FRISTER_TEAMS_AUTH": "anonymous",
        "FRISTER_HTTP_HOST": "127.0.0.1",
        "FRISTER_TEAMS_APP_ID": APP_ID,
        "FRISTER_TEAMS_TENANT_ID": TENANT,
        "FRISTER_TEAMS_SERVICE_HOSTS": "127.0.0.1",
        "FRISTER_PSEUDONYM_KEY": TEST_KEY,
        "FRISTER_ADMIN_CHANNEL": ESCALATION,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "tick",
        "--now",
        teams.app.clock.now().isoformat(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    [reminder] = reminders(teams.standin, ANNA_CHAT)
    assert button(reminder.card, "frist_klar") is not None
    sent = len(teams.standin.sent_in(ANNA_CHAT))
    assert f"Skickade: {sent}, försöker igen: 0, misslyckade: 0." in out.decode()


# ---- someone the register knows only by e-mail ------------------------------------------------


async def test_first_contact_links_a_person_known_by_email(engine, teams):
    """The case import named the handläggare by e-mail; the first time they write in Teams,
    Frister reads their e-mail from the connector and links it to their Entra id: from then on
    they are known, and their reminders reach them in Teams."""
    bea, bea_chat, email = (
        "6b7c8d9e-0000-4000-8000-00000000b001",
        "a:1on1-bea",
        "bea@kommun.example",
    )
    await staff(engine)
    await import_rows(
        teams.app, ("IFO 2026-77", ENHET, email, "anmalan_inkom", teams.app.clock.now().date())
    )
    teams.standin.add_user(bea, "Bea Berg", email)
    teams.standin.add_conversation(bea_chat, (bea,), personal=True)
    assert not await teams.app.chat().knows(bea)

    status, _body = await teams.post(teams.party.message(bea, bea_chat, "mina"))
    assert status in (200, 202)

    assert await teams.app.chat().knows(bea)
    answer = teams.standin.sent_in(bea_chat)[-1]
    assert "personalregister" not in (answer.text or "")  # answered as a known person
    result = await teams.tick()
    assert result.sent >= 1, result  # (the channels are not installed here: their posts fail)
    assert reminders(teams.standin, bea_chat), "the reminder reaches the linked person"


async def test_an_unknown_email_links_nobody(engine, teams):
    stranger, chat = "6b7c8d9e-0000-4000-8000-00000000e001", "a:1on1-stranger"
    await staff(engine)
    teams.standin.add_user(stranger, "Okänd", "okand@annan.example")
    teams.standin.add_conversation(chat, (stranger,), personal=True)
    status, _body = await teams.post(teams.party.message(stranger, chat, "mina"))
    assert status in (200, 202)
    assert not await teams.app.chat().knows(stranger)
    assert "personalregister" in (teams.standin.sent_in(chat)[-1].text or "")


# ---- people by name ---------------------------------------------------------------------------


async def test_people_are_named_in_cards(engine, teams):
    """Teams cards name the handläggare as Teams showed them, never by an id."""
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-5", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    [case] = await rows(engine, Arende)
    status, _body = await teams.post(teams.party.message(ANNA, ANNA_CHAT, f"ärende {case.code}"))
    assert status in (200, 202)
    shown = json.dumps(teams.standin.sent_in(ANNA_CHAT)[-1].card, ensure_ascii=False)
    assert "Anna Andersson" in shown
    assert ANNA not in shown


async def test_belastning_names_people_in_the_chefs_chat(engine, teams):
    """`belastning` in Teams: the same service as Slack; people named, never by an id."""
    await staff(engine)
    await install(teams, (ANNA, ANNA_CHAT), (CHEF, CHEF_CHAT))
    await import_rows(
        teams.app, ("IFO 2026-6", ENHET, ANNA, "anmalan_inkom", teams.app.clock.now().date())
    )
    status, _body = await teams.post(teams.party.message(CHEF, CHEF_CHAT, "belastning"))
    assert status in (200, 202)
    shown = json.dumps(teams.standin.sent_in(CHEF_CHAT)[-1].card, ensure_ascii=False)
    assert "Arbetsbelastning, Barn och unga Nord" in shown
    assert "Anna Andersson" in shown and "belastning 2" in shown  # skydds- and förhandsbedömning
    assert ANNA not in shown
    status, _body = await teams.post(teams.party.message(ANNA, ANNA_CHAT, "belastning"))
    shown = json.dumps(teams.standin.sent_in(ANNA_CHAT)[-1].card, ensure_ascii=False)
    assert "inte behörighet" in shown
