"""Showing a chat-service answer in Teams. There are no ephemeral messages: in a 1:1 chat the
answer is a reply; asked in a channel, it goes to the asker's 1:1 chat with Frister and the
channel gets at most a neutral line, unless the service made the answer public (`team visa`
in a channel linked to the asker's enhet). A form is offered as a card whose button opens it
as a dialog (task/fetch); the button carries how to ask for the form again."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext

from bot.domain.forms import Form
from bot.domain.messages import Message
from bot.i18n import _
from bot.ports.addresses import Address, AddressBook
from bot.ports.conversation import Answer, Caller
from handlers.teams import activities, cards
from handlers.teams.names import address_names, names_in

log = logging.getLogger("frister.teams")

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
OPEN = "_open"  # the form's state key holding how to ask for the form again
Json = dict[str, Any]


def card_activity(card: Json, summary: str = "") -> Activity:
    data: Json = {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
    }
    if summary:
        data["summary"] = summary[:1000]
    return Activity.model_validate(data)


def message_activity(message: Message, names: Mapping[str, str] | None = None) -> Activity:
    return card_activity(cards.render_message(message, names), " ".join(message.text.split()))


def text_activity(text: str) -> Activity:
    return Activity.model_validate({"type": "message", "text": text})


def with_opener(form: Form, opener: Json) -> Form:
    """The form, remembering how it was asked for (so a dialog can be shown again)."""
    return replace(form, state={**form.state, OPEN: json.dumps(opener, ensure_ascii=False)})


def offer(form: Form, opener: Json) -> Activity:
    """A card with one button that opens the form as a dialog."""
    intro = form.intro or Message(text=form.title, title=form.title)
    card = cards.render_message(replace(intro, actions=()))
    card["actions"] = [
        {
            "type": "Action.Submit",
            "title": form.submit or _("Open the form"),
            "data": {"msteams": {"type": "task/fetch"}, "open": opener},
        }
    ]
    return card_activity(card, form.title)


def dialog(form: Form) -> Json:
    """The task/fetch or task/submit answer that shows `form` in the dialog."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": form.title,
                "card": {"contentType": ADAPTIVE_CARD, "content": cards.render_form(form)},
            },
        }
    }


class Replies:
    """Sends answers for one turn: into the conversation or into the asker's 1:1 chat."""

    def __init__(self, context: TurnContext, book: AddressBook, clock) -> None:
        self.context = context
        self.book = book
        self.clock = clock
        self.raw = activities.as_json(context.activity)

    async def show(
        self, answer: Answer, caller: Caller, opener: Json, skip: Message | None = None
    ) -> None:
        lookup = address_names(self.book)
        outgoing = [
            message_activity(m, await names_in(m, lookup)) for m in answer.messages if m is not skip
        ]
        if answer.form is not None:
            outgoing.append(offer(answer.form, opener))
        if not outgoing:
            return
        if caller.direct or answer.public:
            for activity in outgoing:
                await self.context.send_activity(activity)
            return
        if await self.to_direct_chat(outgoing):
            await self.context.send_activity(text_activity(_("Answer in your chat with Frister.")))
        else:
            await self.context.send_activity(
                text_activity(
                    _(
                        "I could not write to you in your chat with Frister. Open Frister in "
                        "Teams (Apps) once, then ask again."
                    )
                )
            )

    async def to_direct_chat(self, outgoing: list[Activity]) -> bool:
        """Send to the asker's 1:1 chat (remembered, or created now); False when Teams
        refuses (the app not installed for them)."""
        connector = self.context.services.get(ConnectorClientBase)
        who = activities.person(self.raw)
        sender = self.context.activity.from_property
        if connector is None or who is None or sender is None:
            return False
        service_url = self.context.activity.service_url
        tenant = activities.tenant(self.raw)
        try:
            known = await self.book.lookup(activities.PLATFORM, who)
            if known is not None and known.service_url == service_url:
                conversation = known.conversation_id
            else:
                created = await connector.conversations.create_conversation(
                    ConversationParameters(
                        is_group=False,
                        agent=self.context.activity.recipient,
                        members=[ChannelAccount(id=sender.id)],
                        tenant_id=tenant,
                        channel_data={"tenant": {"id": tenant}} if tenant else None,
                    )
                )
                conversation = created.id
                await self.book.remember(
                    Address(
                        activities.PLATFORM,
                        who,
                        conversation,
                        service_url,
                        tenant,
                        self.clock.now(),
                    )
                )
            for activity in outgoing:
                activity.conversation = ConversationAccount(id=conversation)
                activity.from_property = self.context.activity.recipient
                activity.recipient = ChannelAccount(id=sender.id)
                await connector.conversations.send_to_conversation(conversation, activity)
        except Exception as error:  # Teams refused (403, 404): say so in the channel
            log.warning("could not reach the asker's 1:1 chat: %s", type(error).__name__)
            return False
        return True
