"""An AddressBook in memory (bot.ports.addresses), for tests and the demo."""

from __future__ import annotations

from dataclasses import replace

from bot.ports.addresses import Address


class MemoryAddressBook:
    def __init__(self, *addresses: Address) -> None:
        self._addresses: dict[tuple[str, str], Address] = {}
        for address in addresses:
            self._addresses[(address.platform, address.key)] = address

    async def remember(self, address: Address) -> None:
        known = self._addresses.get((address.platform, address.key))
        if address.name is None and known is not None:
            address = replace(address, name=known.name)  # as SQL: a nameless sighting keeps it
        self._addresses[(address.platform, address.key)] = address

    async def lookup(self, platform: str, key: str) -> Address | None:
        return self._addresses.get((platform, key))

    def all(self) -> list[Address]:
        return list(self._addresses.values())
