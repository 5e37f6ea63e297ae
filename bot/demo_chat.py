"""The chat part of `frister demo`: /frister commands, buttons, modals and the home tab, typed at
a prompt (or scripted) and sent as signed Slack requests through the real Bolt app; answers come
back through the local Slack stand-in and are printed as they would appear."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from bot.bootstrap import App
from bot.i18n import _
from bot.testing.slack_standin import Response, SlackStandIn

SECRET = "frister-demo-signing-secret"
TEAM = "T0STANDIN"
QUIT = frozenset({"sluta", "avsluta", "exit", "quit", "q"})
Ask = Callable[[str], Awaitable[str | None]]


async def typed(ask: Ask, prompt: Callable[[], str]) -> AsyncIterator[tuple[str, str, str]]:
    """The prompt's lines as (line, its first word folded, the rest), until end of input or a
    word in QUIT; empty lines are skipped."""
    while True:
        line = await ask(prompt())
        if line is None:
            return
        line = line.strip()
        word, _sep, rest = line.partition(" ")
        folded = word.lower()
        if not line:
            continue
        if folded in QUIT:
            return
        yield line, folded, rest


MENTION = re.compile(r"<([@#])([A-Z0-9]+)(?:\|[^>]*)?>")


def with_names(text: str, names: dict[str, str]) -> str:
    """Slack's `<@U…>` and `<#C…>` as Slack shows them: `@Anna`, `#the-channel`."""

    def name(match: re.Match) -> str:
        if match[1] == "#":
            return "#" + names.get(match[2], match[2]).lstrip("#")
        return "@" + names.get(match[2], match[2]).split()[0]

    return MENTION.sub(name, text)


async def ask_terminal(prompt: str) -> str | None:
    """A line typed at the terminal (None at end of input)."""
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


def block_lines(
    blocks: list[dict[str, Any]],
    buttons: list[tuple[str, str, str]],
    names: dict[str, str] | None = None,
) -> list[str]:
    """Blocks as text, buttons numbered (appended to `buttons` as label, action id, value),
    mentions shown as @name."""
    return [with_names(line, names or {}) for line in _block_lines(blocks, buttons)]


def _block_lines(blocks: list[dict[str, Any]], buttons: list[tuple[str, str, str]]) -> list[str]:
    lines = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header" or (kind == "section" and "text" in block):
            lines += ["   " + line for line in block["text"]["text"].splitlines()]
        elif kind == "section":
            fields = (f["text"].replace("*", "").replace("\n", ": ") for f in block["fields"])
            lines.append("   " + " · ".join(fields))
        elif kind == "actions":
            labels = []
            for element in block["elements"]:
                buttons.append((element["text"]["text"], element["action_id"], element["value"]))
                labels.append(f"[{len(buttons)}: {element['text']['text']}]")
            lines.append("   " + " ".join(labels))
        elif kind == "context":
            lines.append("   " + " ".join(e.get("text", "") for e in block["elements"]))
        elif kind == "divider":
            lines.append("   " + "-" * 20)
    return lines


class DemoChat:
    def __init__(self, app: App, slack: SlackStandIn, names: dict[str, str], out) -> None:
        from slack_sdk.web.async_client import AsyncWebClient

        from handlers.slack.app import build

        self.slack = slack
        self.names = names
        self.shown = names  # how mentions of people and channels are shown
        self.out = out
        self.bolt = build(
            app.services(),
            client=AsyncWebClient(token="xoxb-demo", base_url=slack.url),
            signing_secret=SECRET,
            process_before_response=True,
        )
        self.user = next(iter(names))
        self.buttons: list[tuple[str, str, str]] = []
        self._ids = itertools.count(1)
        slack.on_response = self._show_response

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def name(self, user: str) -> str:
        return self.names.get(user, user)

    # ---- requests, signed like Slack's --------------------------------------------------------

    async def _dispatch(self, body: str, content_type: str):
        from slack_bolt.request.async_request import AsyncBoltRequest
        from slack_sdk.signature import SignatureVerifier

        timestamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
        }
        return await self.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    def _form(self, fields: dict[str, Any]) -> str:
        return urlencode(fields)

    async def command(self, text: str, ask: Ask | None = None) -> None:
        n = next(self._ids)
        body = self._form(
            {
                "team_id": TEAM,
                "channel_id": f"D{self.user}",
                "user_id": self.user,
                "command": "/frister",
                "text": text,
                "response_url": self.slack.response_url(f"demo{n}"),
                "trigger_id": f"{n}.demo",
            }
        )
        await self._then(self._dispatch(body, "application/x-www-form-urlencoded"), ask)

    async def press(self, number: int, ask: Ask | None = None) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say(_("There is no button {n}.").format(n=number))
            return
        label, action_id, value = self.buttons[number - 1]
        self.say(
            "   " + _("{name} presses [{label}]").format(name=self.name(self.user), label=label)
        )
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": self.user},
            "trigger_id": f"{n}.demo",
            "channel": {"id": f"D{self.user}"},
            "container": {"type": "message"},
            "response_url": self.slack.response_url(f"demo{n}"),
            "actions": [{"type": "button", "action_id": action_id, "value": value}],
        }
        await self._then(
            self._dispatch(
                self._form({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
            ),
            ask,
        )

    async def home(self) -> None:
        event = {
            "team_id": TEAM,
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}demo",
            "event": {"type": "app_home_opened", "user": self.user, "tab": "home"},
        }
        before = len(self.slack.views)
        await self._dispatch(json.dumps(event), "application/json")
        for view in self.slack.views[before:]:
            if view.user_id == self.user:
                self._show_view(
                    view.view, _("Home tab of {name}").format(name=self.name(self.user))
                )

    async def _then(self, request, ask: Ask | None) -> None:
        """Send a request; show modals it opened, fill them in when someone is asking."""
        before = len(self.slack.views)
        await request
        for view in self.slack.views[before:]:
            if view.method == "views.publish":
                continue
            self._show_view(view.view, _("Form"))
            if view.view.get("submit") and ask is not None:
                await self._fill(view, ask)
                return

    # ---- output -------------------------------------------------------------------------------

    def _show_response(self, response: Response) -> None:
        who = self.name(self.user).split()[0]
        where = (
            _("to everyone in the channel")
            if response.public
            else _("only {name} sees it").format(name=who)
        )
        self.say("── " + _("Frister answers {name} ({where})").format(name=who, where=where))
        self.buttons = []
        lines = block_lines(response.blocks, self.buttons, self.shown) if response.blocks else []
        self.say("\n".join(lines or ["   " + response.text]) + "\n")

    def _show_view(self, view: dict[str, Any], what: str) -> None:
        title = view.get("title", {}).get("text", "")
        self.say("── " + (f"{what}: {title}" if title else what))
        self.buttons = []
        shown = [b for b in view.get("blocks", []) if b.get("type") != "input"]
        lines = block_lines(shown, self.buttons, self.shown)
        for block in view.get("blocks", []):
            if block.get("type") == "input":
                lines.append("   ▸ " + block["label"]["text"])
        self.say("\n".join(lines) + "\n")

    # ---- modals -------------------------------------------------------------------------------

    async def _fill(self, opened, ask: Ask) -> None:
        values: dict[str, dict[str, Any]] = {}
        for block in opened.view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            answer = await self._field(block, element, ask)
            if answer is None:
                self.say(_("The form was closed."))
                return
            values[block["block_id"]] = {element["action_id"]: {"type": element["type"], **answer}}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": self.user},
            "trigger_id": f"{next(self._ids)}.demo",
            "view": {**opened.view, "id": opened.view_id, "state": {"values": values}},
        }
        before = len(self.slack.views)
        response = await self._dispatch(
            self._form({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        body = json.loads(response.body) if response.body.startswith("{") else {}
        if body.get("response_action") == "errors":
            for problem in body.get("errors", {}).values():
                self.say("   ! " + problem)
            self.say(_("Nothing was saved; fill in the form again.") + "\n")
            await self._fill(opened, ask)
            return
        for view in self.slack.views[before:]:
            if view.method == "views.update":
                self._show_view(view.view, _("Form"))
                if view.view.get("submit"):  # the form again, with what was wrong
                    await self._fill(view, ask)
                    return

    async def _field(self, block, element, ask: Ask) -> dict[str, Any] | None:
        label = block["label"]["text"]
        kind = element["type"]
        optional = block.get("optional", False)
        if kind == "static_select":
            options = element["options"]
            for number, option in enumerate(options, start=1):
                self.say(f"      {number}. {option['text']['text']}")
            initial = element.get("initial_option")
            while True:
                line = await ask("   " + _("{label} (number): ").format(label=label))
                if line is None:
                    return None
                line = line.strip()
                if not line:
                    return {"selected_option": initial}
                if line.isdigit() and 1 <= int(line) <= len(options):
                    return {"selected_option": {"value": options[int(line) - 1]["value"]}}
                self.say("   " + _("Write a number from the list."))
        if kind == "checkboxes":
            line = await ask("   " + _("{label} (y/n): ").format(label=label))
            if line is None:
                return None
            yes = line.strip().lower() in ("j", "ja", "y", "yes")
            return {"selected_options": [{"value": element["options"][0]["value"]}] if yes else []}
        default = (
            element.get("initial_date")
            or element.get("initial_user")
            or element.get("initial_value")
        )
        hint = f" [{self.name(default) if kind == 'users_select' else default}]" if default else ""
        if kind == "users_select":
            hint += " (" + ", ".join(self._handles()) + ")"
        line = await ask(f"   {label}{hint}: ")
        if line is None:
            return None
        text = line.strip() or default or ""
        if kind == "datepicker":
            return {"selected_date": text or None}
        if kind == "users_select":
            return {"selected_user": self._user(text) if text else None}
        return {"value": text or (None if optional else "")}

    def _handles(self) -> list[str]:
        return [name.split()[0].lower() for name in self.names.values()]

    def _user(self, text: str) -> str:
        wanted = text.strip().lstrip("@").lower()
        for user, name in self.names.items():
            if name.split()[0].lower() == wanted or user.lower() == wanted:
                return user
        return text

    # ---- the prompt ---------------------------------------------------------------------------

    def switch(self, text: str) -> bool:
        user = self._user(text)
        if user not in self.names:
            self.say(
                _("Unknown person; choose one of: {names}.").format(
                    names=", ".join(self._handles())
                )
            )
            return False
        self.user = user
        self.say(_("You are now {name}.").format(name=self.name(user)) + "\n")
        return True

    async def prompt(self, ask: Ask) -> None:
        self.say(
            _(
                "Now it is your turn. You are {name}. Type /frister commands (e.g. "
                "`/frister hjälp`), `tryck N` to press button N, `hem` for the home tab, "
                "`som NAME` to be someone else ({names}), and `sluta` to finish."
            ).format(name=self.name(self.user), names=", ".join(self._handles()))
            + "\n"
        )
        async for line, folded, rest in typed(
            ask, lambda: f"{self._handles()[list(self.names).index(self.user)]}> "
        ):
            if folded == "som":
                self.switch(rest)
            elif folded in ("tryck", "knapp") and rest.strip().isdigit():
                await self.press(int(rest), ask)
            elif folded == "hem":
                await self.home()
            else:
                text = line
                if folded in ("/frister", "frister"):
                    text = rest
                await self.command(text, ask)
