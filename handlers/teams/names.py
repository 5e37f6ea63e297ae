"""Display names for the people and channels a message mentions, from the address book (Teams
showed them when the person wrote or the channel spoke to Frister)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.messages import Message
from bot.ports.addresses import AddressBook
from handlers.teams.activities import PLATFORM
from handlers.teams.messenger import NameLookup, mentioned_ids


def address_names(book: AddressBook) -> NameLookup:
    async def names(keys: list[str]) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for key in keys:
            address = await book.lookup(PLATFORM, key)
            if address is not None and address.name:
                found[key] = address.name
        return found

    return names


async def names_in(message: Message, lookup: NameLookup) -> Mapping[str, str]:
    """The names of everyone `message` mentions that the address book knows."""
    wanted = mentioned_ids(message)
    return await lookup(wanted) if wanted else {}
