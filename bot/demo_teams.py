"""`frister demo --platform teams`: the same simulated days against a local Teams stand-in.

Everything real runs as in the Slack demo, with Teams' parts: the TeamsMessenger sends Adaptive
Cards over HTTP to a local Bot Framework connector stand-in (bot/testing/teams_standin.py) at the
addresses in the real address book, and the chat goes through the real Teams app (the Agents
SDK's CloudAdapter, anonymous mode on loopback, FRISTER_TEAMS_AUTH=anonymous): typed lines are
posted to POST /api/messages as 1:1 chat messages, button presses as Action.Execute invokes,
forms as dialogs (task/fetch, task/submit); replies reach the stand-in at the activity's
serviceUrl, exactly as they would reach Teams. Cards are printed as text (bot/testing/card_text).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, TextIO

import aiohttp
from aiohttp import web

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.demo import ADMIN_CHANNEL, CHAT_PEOPLE, ESCALATION_CHANNEL, NAMES, STAFF, Cast, header
from bot.demo_chat import Ask, typed
from bot.i18n import _
from bot.ports.addresses import Address
from bot.ports.messenger import Messenger
from bot.testing.card_text import ADAPTIVE_CARD, Buttons, activity_lines, card_lines
from bot.testing.teams_standin import Sent, TeamsStandIn

APP_ID = "5f3a9c1e-2b7d-4e8a-9c0f-1d2e3f4a5b6c"  # the demo's (invented) Teams app
BOT_ID = f"28:{APP_ID}"
TENANT = "7d1c0b9a-8e6f-4a3b-9c2d-0e1f2a3b4c5d"  # the demo municipality's (invented) tenant
# The demo's staff as Teams knows them: invented Entra object ids, and the e-mail the case
# system's export names a handläggare by.
TEAMS_IDS = {
    "U0DEMOANNA": "3c9e1f52-7a4b-4d1e-9f3a-0b6c2d8e4a11",
    "U0DEMOBO": "8a2d4c6e-1f3b-4a5c-8d7e-9f0a1b2c3d22",
    "U0DEMOCECI": "b4e6f8a0-2c4e-4f6a-8b0c-2d4e6f8a0b33",
    "U0DEMODAN": "d1f3a5c7-9e1b-4d3f-a5c7-e9f1a3b5c744",
    "U0DEMOEVA": "e2a4c6e8-0a2c-4e6a-b8c0-d2e4f6a8b055",
    "U0DEMOFILIP": "f3b5d7f9-1b3d-4f7b-9d1f-b3d5f7a9c166",
    "U0DEMOGUN": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c77",
    "U0DEMOHUGO": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d88",
    "U0DEMOADA": "2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e99",
}
TEAMS_EMAILS = {
    chat_id: name.split()[0].lower() + "@demo.frister.invalid"
    for chat_id, _role, _unit, name in STAFF
}
TEAMS_CHANNELS = {
    ESCALATION_CHANNEL: "19:demo-nord-frister@thread.tacv2",
    ADMIN_CHANNEL: "19:demo-frister-drift@thread.tacv2",
}
CHANNEL_NAMES = {
    TEAMS_CHANNELS[ESCALATION_CHANNEL]: "Barn och unga Nord › Frister",
    TEAMS_CHANNELS[ADMIN_CHANNEL]: "Socialtjänsten › Frister drift",
}
LEFT = "U0DEMOHUGO"  # has left: the app is no longer installed for him (Teams answers 403)
CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b")

Json = dict[str, Any]


def personal_chat(chat_id: str) -> str:
    """The (invented) id of a person's 1:1 chat with Frister, made when the app was installed."""
    return "a:1demo" + chat_id.removeprefix("U0DEMO").lower()


class TeamsStage:
    """The local Teams connector stand-in, the real TeamsMessenger and the real Teams app."""

    cast = Cast(TEAMS_IDS, TEAMS_EMAILS, TEAMS_CHANNELS)

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.teams = TeamsStandIn(tenant_id=TENANT, bot_id=BOT_ID)
        self.names = {
            TEAMS_IDS[chat_id]: name for chat_id, name in NAMES.items() if chat_id in TEAMS_IDS
        }
        self.names |= CHANNEL_NAMES
        self.places = {personal_chat(chat_id): TEAMS_IDS[chat_id] for chat_id in TEAMS_IDS}

    async def __aenter__(self) -> TeamsStage:
        await self.teams.start()
        for chat_id, _role, _unit, name in STAFF:
            aad = TEAMS_IDS[chat_id]
            self.teams.add_user(aad, name, TEAMS_EMAILS[chat_id], installed=chat_id != LEFT)
            self.teams.add_conversation(personal_chat(chat_id), (aad,), personal=True)
        for channel in TEAMS_CHANNELS.values():
            self.teams.add_conversation(channel)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.teams.stop()

    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={
                "platform": "teams",
                "teams_app_id": APP_ID,
                "teams_tenant_id": TENANT,
                "teams_auth": "anonymous",
                "http_host": "127.0.0.1",
                "admin_channel": TEAMS_CHANNELS[ADMIN_CHANNEL],
            }
        )

    def app(self, settings: Settings, clock: FixedClock) -> App:
        return App(self.settings(settings), clock=clock)

    async def prepare(self, app: App) -> None:
        """The addresses Teams gave Frister when the app was installed for each person and
        added to the channels."""
        book = app.address_book()
        now = app.clock.now()
        for chat_id, aad in TEAMS_IDS.items():
            await book.remember(
                Address("teams", aad, personal_chat(chat_id), self.teams.url, TENANT, now)
            )
        for channel in TEAMS_CHANNELS.values():
            await book.remember(Address("teams", channel, channel, self.teams.url, TENANT, now))

    async def _names(self, ids: list[str]) -> dict[str, str]:
        return {i: self.names[i] for i in ids if i in self.names}

    def messenger(self, app: App) -> Messenger:
        from handlers.teams.messenger import TeamsMessenger

        return TeamsMessenger(app.address_book(), bot_id=BOT_ID, names=self._names, clock=app.clock)

    def where(self, conversation_id: str) -> str:
        person = self.places.get(conversation_id)
        if person is not None:
            return _("1:1 chat with {name}").format(name=self.names.get(person, person))
        return _("in {name}").format(name=self.names.get(conversation_id, conversation_id))

    def show(self, printed: Callable[[str], None], now: Callable[[], datetime]) -> None:
        def shown(sent: Sent) -> None:
            lines = [header(now(), self.tz, self.where(sent.conversation_id))]
            printed("\n".join(lines + activity_lines(sent.activity)))

        self.teams.on_activity = shown

    async def chat(self, app: App, out: TextIO, ask: Ask | None) -> None:
        async with TeamsChat(app, self, out) as chat:
            await chat.showcase()
            if ask is not None:
                await chat.prompt(ask)


class TeamsChat:
    """Typed lines and button presses as Teams sends them to Frister's POST /api/messages."""

    def __init__(self, app: App, stage: TeamsStage, out: TextIO) -> None:
        from handlers.teams.app import build_teams_app

        self.app = app
        self.stage = stage
        self.teams = stage.teams
        self.out = out
        self.people = {TEAMS_IDS[chat_id]: NAMES[chat_id] for chat_id in CHAT_PEOPLE}
        self.user = TEAMS_IDS["U0DEMOANNA"]
        self.buttons = Buttons()
        self.web = build_teams_app(app, app.settings)
        self.pending: list[Sent] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> TeamsChat:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/messages"
        self._session = aiohttp.ClientSession()
        self.teams.on_activity = self.pending.append
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def name(self, user: str) -> str:
        return self.people.get(user, user)

    # ---- activities, as Teams sends them -------------------------------------------------------

    def _activity(self, kind: str, **extra: Any) -> Json:
        chat_id = next(c for c, aad in TEAMS_IDS.items() if aad == self.user)
        return {
            "type": kind,
            "id": f"1{next(self._ids):012d}",
            "channelId": "msteams",
            "serviceUrl": self.teams.url,
            "timestamp": self.app.clock.now().isoformat(),
            "from": {
                "id": f"29:{self.user}",
                "aadObjectId": self.user,
                "name": self.name(self.user),
            },
            "recipient": {"id": BOT_ID, "name": "Frister"},
            "conversation": {
                "id": personal_chat(chat_id),
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "sv-SE",
            **extra,
        }

    async def _post(self, activity: Json) -> Json | None:
        """POST to Frister; the invoke answer's body (None for a message)."""
        assert self._session is not None
        async with self._session.post(self.url, json=activity) as response:
            text = await response.text()
            if response.status >= 400:
                self.say("   ! HTTP " + str(response.status))
                return None
        if activity["type"] != "invoke" or not text.strip():
            return None
        try:
            body = json.loads(text)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _flush(self) -> None:
        """Show what Frister wrote to the chat during the last request."""
        sent, self.pending[:] = list(self.pending), []
        for activity in sent:
            who = self.stage.places.get(activity.conversation_id)
            if who is None:
                where = self.stage.where(activity.conversation_id)
                self.say("── " + _("Frister writes {where}").format(where=where))
            else:
                self.say(
                    "── "
                    + _("Frister answers {name} in the chat").format(name=self.name(who).split()[0])
                )
            self.buttons = Buttons()
            self.say("\n".join(activity_lines(activity.activity, self.buttons)) + "\n")

    async def write(self, text: str, ask: Ask | None = None) -> None:
        """A line typed in the 1:1 chat with Frister."""
        await self._post(self._activity("message", text=text, textFormat="plain"))
        self._flush()

    async def press(self, number: int, ask: Ask | None = None) -> None:
        if not 1 <= number <= len(self.buttons.found):
            self.say(_("There is no button {n}.").format(n=number))
            return
        button = self.buttons.found[number - 1]
        self.say(
            "   "
            + _("{name} presses [{label}]").format(name=self.name(self.user), label=button.label)
        )
        action = button.action
        data: Json = action["data"] if isinstance(action.get("data"), dict) else {}
        if action.get("type") == "Action.Execute":
            value = {"action": {"type": "Action.Execute", "verb": action.get("verb"), "data": data}}
            body = await self._post(
                self._activity("invoke", name="adaptiveCard/action", value=value)
            )
            self._show_invoke(body)
            self._flush()
        elif (data.get("msteams") or {}).get("type") == "task/fetch":
            body = await self._post(
                self._activity("invoke", name="task/fetch", value={"data": data})
            )
            self._flush()
            await self._dialog(body, ask)
        else:
            self.say("   " + _("(This button does nothing in the demo.)"))

    def _show_invoke(self, body: Json | None) -> None:
        if not body:
            return
        if body.get("type") == ADAPTIVE_CARD and isinstance(body.get("value"), dict):
            self.say("── " + _("Teams replaces the card with:"))
            self.buttons = Buttons()
            self.say("\n".join(card_lines(body["value"], self.buttons)) + "\n")
        elif isinstance(body.get("value"), str):
            self.say("   » " + body["value"] + "\n")

    # ---- dialogs (forms) ------------------------------------------------------------------------

    async def _dialog(self, body: Json | None, ask: Ask | None) -> None:
        task: Json = (body or {}).get("task") or {}
        value: Json = task["value"] if isinstance(task.get("value"), dict) else {}
        card: Json = (value.get("card") or {}).get("content") or {}
        if not card:
            return
        title = str(value.get("title") or "")
        self.say("── " + (f"{_('Form')}: {title}" if title else _("Form")))
        self.say("\n".join(card_lines(card, choices=ask is None)) + "\n")
        submit = next(
            (a for a in card.get("actions") or [] if a.get("type") == "Action.Submit"), None
        )
        if submit is None or ask is None:
            return
        values: Json = {}
        for element in _inputs(card.get("body") or []):
            answer = await self._field(element, ask)
            if answer is None:
                self.say(_("The form was closed."))
                return
            values[str(element.get("id"))] = answer
        data = {**(submit.get("data") or {}), **values}
        answer_body = await self._post(
            self._activity("invoke", name="task/submit", value={"data": data})
        )
        self._flush()
        await self._dialog(answer_body, ask)

    async def _field(self, element: Json, ask: Ask) -> str | None:
        label = str(element.get("label") or element.get("title") or element.get("id"))
        kind = element.get("type")
        default = str(element.get("value") or "")
        choices = element.get("choices") or []
        if kind == "Input.ChoiceSet" and choices:
            for number, choice in enumerate(choices, start=1):
                self.say(f"      {number}. {choice.get('title')}")
            while True:
                line = await ask("   " + _("{label} (number): ").format(label=label))
                if line is None:
                    return None
                line = line.strip()
                if not line:
                    return default
                if line.isdigit() and 1 <= int(line) <= len(choices):
                    return str(choices[int(line) - 1].get("value") or "")
                self.say("   " + _("Write a number from the list."))
        if kind == "Input.Toggle":
            line = await ask("   " + _("{label} (y/n): ").format(label=label))
            if line is None:
                return None
            yes = line.strip().lower() in ("j", "ja", "y", "yes")
            return str(element.get("valueOn" if yes else "valueOff") or "")
        people = kind == "Input.ChoiceSet"  # a people picker: Teams searches the directory
        hint = f" [{self.name(default) if people else default}]" if default else ""
        if people:
            hint += " (" + ", ".join(self._handles()) + ")"
        line = await ask(f"   {label}{hint}: ")
        if line is None:
            return None
        text = line.strip() or default
        return self._user(text) if people and text else text

    # ---- the script and the prompt --------------------------------------------------------------

    def _handles(self) -> list[str]:
        return [name.split()[0].lower() for name in self.people.values()]

    def _user(self, text: str) -> str:
        wanted = text.strip().lstrip("@").lower()
        for user, name in self.people.items():
            if name.split()[0].lower() == wanted or user == wanted:
                return user
        return text

    async def showcase(self) -> None:
        """Anna asks for her deadlines, Dan for the overdue ones of his enhet, then Anna for the
        case of the first reminder she got."""
        anna = TEAMS_IDS["U0DEMOANNA"]
        seen = [
            code
            for sent in self.teams.sent_to(anna)
            for code in CODE.findall("\n".join(activity_lines(sent.activity)))
        ]
        self.say(_("The chat: what Anna and Dan see in Teams.") + "\n")
        script = [(anna, "mina"), (TEAMS_IDS["U0DEMODAN"], "försenade")]
        if seen:
            script.append((anna, f"ärende {seen[0]}"))
        for person, text in script:
            self.user = person
            self.say(
                _("{name} writes in the chat with Frister: {text}").format(
                    name=self.name(person), text=text
                )
            )
            await self.write(text)
        self.user = anna

    async def prompt(self, ask: Ask) -> None:
        self.say(
            _(
                "Now it is your turn. You are {name}. Write to Frister as in Teams (e.g. "
                "`hjälp`, `mina`, `ny`), `tryck N` to press button N, `som NAME` to be someone "
                "else ({names}), and `sluta` to finish."
            ).format(name=self.name(self.user), names=", ".join(self._handles()))
            + "\n"
        )
        async for line, folded, rest in typed(
            ask, lambda: f"{self.name(self.user).split()[0].lower()}> "
        ):
            if folded == "som":
                user = self._user(rest)
                if user not in self.people:
                    self.say(
                        _("Unknown person; choose one of: {names}.").format(
                            names=", ".join(self._handles())
                        )
                    )
                    continue
                self.user = user
                self.say(_("You are now {name}.").format(name=self.name(user)) + "\n")
            elif folded in ("tryck", "knapp") and rest.strip().isdigit():
                await self.press(int(rest), ask)
            else:
                await self.write(line, ask)


def _inputs(elements: list[Json]) -> list[Json]:
    found: list[Json] = []
    for element in elements:
        kind = str(element.get("type") or "")
        if kind.startswith("Input."):
            found.append(element)
        elif kind == "Container":
            found += _inputs(element.get("items") or [])
        elif kind == "ColumnSet":
            for column in element.get("columns") or []:
                found += _inputs(column.get("items") or [])
    return found
