"""The "Mina frister" card: Teams has no App Home, so the home sections (ChatService.home) go
as one card into the person's 1:1 chat with Frister, on install and on `hem`. The card's
activity id is remembered (runtime_state, `teams:home:<user>`), and when an answer names the
person in `refresh` the card is updated in place (PUT activity) instead of sent again."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from microsoft_agents.activity import Activity, ConversationAccount
from microsoft_agents.hosting.core import ConnectorClientBase, TurnContext

from bot.chat.service import ChatService
from bot.clock import Clock
from bot.i18n import _
from bot.ports.addresses import AddressBook
from bot.ports.unit_of_work import UnitOfWork
from handlers.teams import activities, cards
from handlers.teams.names import address_names, names_in

log = logging.getLogger("frister.teams")

STATE = "teams:home:"  # + the person's Entra object id -> the home card's activity id
WORDS = frozenset({"hem", "home"})


def is_home_command(text: str) -> bool:
    """`hem` typed to Frister (Teams only: Slack has its App Home tab)."""
    return text.strip().casefold() in WORDS


class HomeCards:
    def __init__(
        self, chat: ChatService, unit_of_work: UnitOfWork, book: AddressBook, clock: Clock
    ) -> None:
        self.chat = chat
        self.unit_of_work = unit_of_work
        self.book = book
        self.clock = clock

    async def card(self, user_id: str) -> Activity:
        sections = await self.chat.home(user_id)
        lookup = address_names(self.book)
        names: dict[str, str] = {}
        for section in sections:
            names.update(await names_in(section, lookup))
        return Activity.model_validate(cards.home_activity(_("My deadlines"), sections, names))

    async def show(self, context: TurnContext, user_id: str) -> None:
        """A new home card in this 1:1 conversation; it is the one refreshed from now on."""
        sent = await context.send_activity(await self.card(user_id))
        if sent is not None and sent.id:
            async with self.unit_of_work() as uow:
                await uow.outbox.set_state(STATE + user_id, str(sent.id), self.clock.now())

    async def remembered(self, user_id: str) -> str | None:
        async with self.unit_of_work() as uow:
            entry = (await uow.outbox.get_state(STATE + user_id)).get(STATE + user_id)
        return entry.value if entry is not None else None

    async def refresh(self, context: TurnContext, users: Iterable[str]) -> None:
        """Update the home cards of `users` in place; a failure is logged, never shown to the
        one who acted (the card is brought up to date the next time)."""
        for user_id in dict.fromkeys(users):
            try:
                await self._refresh(context, user_id)
            except Exception as error:
                log.warning("a home card was not refreshed: %s", type(error).__name__)

    async def _refresh(self, context: TurnContext, user_id: str) -> None:
        activity_id = await self.remembered(user_id)
        if activity_id is None:
            return
        address = await self.book.lookup(activities.PLATFORM, user_id)
        connector = context.services.get(ConnectorClientBase)
        if address is None or connector is None:
            return
        if address.service_url != context.activity.service_url:
            return  # another region's connector: refreshed when the person next writes
        activity = await self.card(user_id)
        activity.id = activity_id
        activity.conversation = ConversationAccount(id=address.conversation_id)
        await connector.conversations.update_activity(
            address.conversation_id, activity_id, activity
        )
