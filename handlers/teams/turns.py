"""One Teams turn: commands typed in the 1:1 chat or `@Frister …` in a channel, card buttons
(Action.Execute → adaptiveCard/action), dialogs (task/fetch, task/submit). Every activity also
updates where Frister can reach its sender; a redelivered activity changes nothing twice."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext

from bot.chat.service import ChatService
from bot.domain.forms import Form, Values
from bot.domain.messages import Message
from bot.i18n import _
from bot.ports.addresses import AddressBook
from bot.ports.conversation import Answer, Caller
from bot.services.answer_pool import AnswerPool, busy
from handlers.teams import activities, cards
from handlers.teams.home import HomeCards, is_home_command
from handlers.teams.replies import (
    ADAPTIVE_CARD,
    OPEN,
    Replies,
    dialog,
    text_activity,
    with_opener,
)

log = logging.getLogger("frister.teams")

# Buttons whose answer replaces the card in a 1:1 chat (the card's question is settled).
SETTLING = frozenset({"frist_klar", "frist_snooze", "frist_ack", "frist_undo"})
Json = dict[str, Any]


def invoke_response(body: Json | None, status: int = 200) -> Activity:
    return Activity.model_validate(
        {"type": "invokeResponse", "value": {"status": status, "body": body}}
    )


def card_answer(card: Json) -> Json:
    """An Action.Execute answer that replaces the pressed card."""
    return {"statusCode": 200, "type": ADAPTIVE_CARD, "value": card}


def note_answer(text: str) -> Json:
    """An Action.Execute answer that keeps the card and shows a short note."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class Turns:
    def __init__(
        self,
        chat: ChatService,
        book: AddressBook,
        clock,
        homes: HomeCards | None = None,
        answers: AnswerPool | None = None,
    ) -> None:
        self.chat = chat
        self.book = book
        self.clock = clock
        self.homes = homes
        self.answers = answers

    async def __call__(self, context: TurnContext, _state: Any = None) -> None:
        """The turn, done by the answer pool when there is one: when it is full the person is
        told at once to try again in a minute."""
        try:
            if self.answers is None:
                await self.turn(context)
            elif not await self.answers.run(lambda: self.turn(context)):
                await told_busy(context)
        except Exception:  # the turn told the person; the pool counted it as failed
            pass

    async def turn(self, context: TurnContext) -> None:
        raw = activities.as_json(context.activity)
        try:
            key = activities.replay_key(raw)
            if key is not None and not await self.chat.remember(key):
                log.info("a redelivered Teams activity was ignored")
                if raw.get("type") == "invoke":
                    await context.send_activity(invoke_response(note_answer(_("Done."))))
                return
            for address in activities.addresses(raw, self.clock.now()):
                await self.book.remember(address)
            await self.introduce(context, raw)
            kind = raw.get("type")
            if kind == "message":
                await self.message(context, raw)
            elif kind == "invoke":
                await self.invoke(context, raw)
            elif kind == "conversationUpdate":
                await self.installed(context, raw)
        except Exception as error:  # never the content: exceptions may quote what was typed
            log.error("Teams turn failed: %s", type(error).__name__)
            await failed(context)
            raise

    # ---- commands ---------------------------------------------------------------------------

    async def message(self, context: TurnContext, raw: Json) -> None:
        caller = activities.caller(raw)
        if caller is None:
            return
        own = (raw.get("recipient") or {}).get("id")
        if not caller.direct and not any(
            (m.get("mentioned") or {}).get("id") == own for m in activities.mentions(raw)
        ):
            return  # a channel message not addressed to Frister
        text = activities.command_text(raw, await self.people(context, raw))
        if self.homes is not None and is_home_command(text):
            await self.home(context, caller)
            return
        answer = await self.chat.command(caller, text)
        await Replies(context, self.book, self.clock).show(answer, caller, {"command": text})
        await self.refresh(context, answer.refresh)

    # ---- the home card ----------------------------------------------------------------------

    async def installed(self, context: TurnContext, raw: Json) -> None:
        """Frister added to a person's 1:1 chat: their home card."""
        own = (raw.get("recipient") or {}).get("id")
        added = {str((m or {}).get("id")) for m in raw.get("membersAdded") or ()}
        caller = activities.caller(raw)
        if self.homes is None or caller is None or not caller.direct or own not in added:
            return
        await self.homes.show(context, caller.user_id)

    async def home(self, context: TurnContext, caller: Caller) -> None:
        """`hem`: a new home card in the 1:1 chat (asked in a channel: sent there too)."""
        assert self.homes is not None
        if caller.direct:
            await self.homes.show(context, caller.user_id)
            return
        replies = Replies(context, self.book, self.clock)
        card = await self.homes.card(caller.user_id)
        reached = await replies.to_direct_chat([card])
        await context.send_activity(
            text_activity(
                _("Answer in your chat with Frister.")
                if reached
                else _(
                    "I could not write to you in your chat with Frister. Open Frister in "
                    "Teams (Apps) once, then ask again."
                )
            )
        )

    async def refresh(self, context: TurnContext, users: tuple[str, ...]) -> None:
        if self.homes is not None and users:
            await self.homes.refresh(context, users)

    async def introduce(self, context: TurnContext, raw: Json) -> None:
        """Someone the staff register knows only by e-mail: linked to their Entra id the first
        time they write, from the e-mail Teams gives for the member."""
        caller = activities.caller(raw)
        connector = context.services.get(ConnectorClientBase)
        if caller is None or connector is None or await self.chat.knows(caller.user_id):
            return
        try:
            account = await connector.conversations.get_conversation_member(
                activities.conversation_id(raw), str((raw.get("from") or {}).get("id"))
            )
        except Exception as error:
            log.info("the member's e-mail could not be read: %s", type(error).__name__)
            return
        email = getattr(account, "email", None) or getattr(account, "user_principal_name", None)
        if email and await self.chat.introduce(caller.user_id, str(email)):
            log.info("a person known by e-mail was linked to their Teams id")

    async def people(self, context: TurnContext, raw: Json) -> dict[str, str]:
        """Entra object ids of mentioned people whose mention does not carry one."""
        connector = context.services.get(ConnectorClientBase)
        own = (raw.get("recipient") or {}).get("id")
        found: dict[str, str] = {}
        for entity in activities.mentions(raw):
            mentioned = entity.get("mentioned") or {}
            member = mentioned.get("id")
            if not member or member == own or mentioned.get("aadObjectId") or connector is None:
                continue
            try:
                account = await connector.conversations.get_conversation_member(
                    activities.conversation_id(raw), member
                )
            except Exception as error:
                log.info("mentioned member not resolved: %s", type(error).__name__)
                continue
            if account.aad_object_id:
                found[member] = account.aad_object_id
        return found

    # ---- invokes ----------------------------------------------------------------------------

    async def invoke(self, context: TurnContext, raw: Json) -> None:
        name = raw.get("name")
        value = raw.get("value") if isinstance(raw.get("value"), dict) else {}
        caller = activities.caller(raw)
        if caller is None:
            await context.send_activity(invoke_response(None, 400))
            return
        if name == "adaptiveCard/action":
            await self.pressed(context, caller, value)
        elif name == "task/fetch":
            await self.fetch(context, caller, value)
        elif name == "task/submit":
            await self.submit(context, caller, value)
        else:
            await context.send_activity(invoke_response(None, 200))

    async def pressed(self, context: TurnContext, caller: Caller, value: Json) -> None:
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        verb = str(action.get("verb") or "")
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        argument = str(data.get("value") or "")
        answer = await self.chat.button(caller, verb, argument)
        shown: Message | None = answer.replace
        if shown is None and caller.direct and verb in SETTLING and answer.messages:
            shown = answer.messages[0]
        if shown is not None:
            body = card_answer(cards.render_message(shown))
        else:
            body = note_answer(_("Done."))
        await context.send_activity(invoke_response(body))
        opener = {"action": verb, "value": argument}
        await Replies(context, self.book, self.clock).show(answer, caller, opener, skip=shown)
        await self.refresh(context, answer.refresh)

    async def form_for(self, caller: Caller, opener: Any) -> tuple[Form | None, Answer]:
        """Ask the chat service for the form again, the way it was first asked for."""
        if isinstance(opener, dict) and "command" in opener:
            answer = await self.chat.command(caller, str(opener["command"]))
        elif isinstance(opener, dict) and "action" in opener:
            answer = await self.chat.button(
                caller, str(opener["action"]), str(opener.get("value") or "")
            )
        else:
            answer = Answer()
        form = with_opener(answer.form, opener) if answer.form is not None else None
        return form, answer

    async def fetch(self, context: TurnContext, caller: Caller, value: Json) -> None:
        data = value.get("data") if isinstance(value.get("data"), dict) else {}
        form, answer = await self.form_for(caller, data.get("open"))
        if form is None:
            message = answer.messages[0] if answer.messages else None
            form = Form(
                "resultat",
                _("Frister"),
                intro=message or Message(text=_("This form no longer works. Try again.")),
            )
        await context.send_activity(invoke_response(dialog(form)))

    async def submit(self, context: TurnContext, caller: Caller, value: Json) -> None:
        data = dict(value.get("data") or {}) if isinstance(value.get("data"), dict) else {}
        kind = str(data.pop("form", "") or "")
        state = data.pop("state", None)
        state = {str(k): str(v) for k, v in state.items()} if isinstance(state, dict) else {}
        data.pop("msteams", None)
        try:
            opener = json.loads(state.pop(OPEN, "null"))
        except ValueError:
            opener = None
        values: Values = {str(k): activities.form_value(v) for k, v in data.items()}
        errors = self.chat.validate_form(kind, values)
        if not errors:
            result = await self.chat.submit_form(caller, kind, values, state)
            errors = result.errors
            if not errors:
                await self.refresh(context, result.refresh)
                view = result.view or Form("resultat", _("Frister"), intro=Message(_("Done.")))
                await context.send_activity(invoke_response(dialog(view)))
                return
        form, _answer = await self.form_for(caller, opener)
        if form is None:
            form = self.chat.problem_form(errors)
        else:
            problem = " ".join(dict.fromkeys(errors.values()))
            form = replace(
                form,
                intro=Message(text=problem, title=_("Not saved"), body=(problem,)),
                fields=tuple(  # what was typed, except where the problem is (never echo
                    # a refused identifier back into Teams)
                    replace(f, initial=None if f.id in errors else values.get(f.id) or f.initial)
                    for f in form.fields
                ),
            )
        await context.send_activity(invoke_response(dialog(form)))


async def failed(context: TurnContext) -> None:
    """Tell the person, in Swedish and without details, that their request failed."""
    await tell(context, _("Something went wrong. Please try again in a while."))


async def told_busy(context: TurnContext) -> None:
    """The answer pool was full: "try again in a minute"."""
    await tell(context, busy())


async def tell(context: TurnContext, text: str) -> None:
    """A short note: in the invoke response, or as a message."""
    try:
        if context.activity.type == "invoke":
            await context.send_activity(invoke_response(note_answer(text)))
        else:
            await context.send_activity(Activity.model_validate({"type": "message", "text": text}))
    except Exception as error:  # the connector may be the thing that failed
        log.warning("could not report the failure: %s", type(error).__name__)
