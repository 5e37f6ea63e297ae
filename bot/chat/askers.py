"""Who asks: a short-lived memory of the asker's staff row and of whom they stand in for.

A question needs both before its one real query; under load the same people ask again and
again, so they are kept for `ttl` seconds on the injected clock. The database stays the source
of truth: an entry is at most `ttl` old (a change made by another process, e.g. `frister
import`, shows after that), and any write through the chat service in this process forgets
every entry at once (`ForgetOnWrite`). A read that overlaps such a write is not remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.ports.chat import StaffInfo
from bot.ports.unit_of_work import Stores, UnitOfWork

TTL = timedelta(seconds=5)
SIZE = 10_000


@dataclass
class _Entry:
    day: date
    until: datetime
    me: StaffInfo | None
    stands_in_for: tuple[int, ...] | None = None  # None: not read yet


class Askers:
    """The askers seen within `ttl`, at most `size` of them (the oldest forgotten first)."""

    def __init__(self, clock: Clock, ttl: timedelta = TTL, size: int = SIZE) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self.generation = 0  # moves on at every `forget`
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def forget(self) -> None:
        """Something about people may have changed: forget everyone."""
        self.generation += 1
        self._entries.clear()

    def _fresh(self, user_id: str, day: date) -> _Entry | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        if entry.day != day or entry.until <= self.clock.now():
            del self._entries[user_id]
            return None
        return entry

    async def staff(self, uow: Stores, user_id: str, day: date) -> StaffInfo | None:
        """The staff row of chat user `user_id` (None: not in the register)."""
        entry = self._fresh(user_id, day)
        if entry is not None:
            return entry.me
        generation = self.generation
        me = await uow.chat.staff_by_chat_id(user_id)
        if generation == self.generation:  # no write in between
            while len(self._entries) >= self.size:
                self._entries.popitem(last=False)
            self._entries[user_id] = _Entry(day, self.clock.now() + self.ttl, me)
        return me

    async def stands_in_for(self, uow: Stores, me: StaffInfo, day: date) -> tuple[int, ...]:
        """The colleagues away on `day` whose substitute `me` is."""
        entry = self._fresh(me.chat_user_id, day) if me.chat_user_id else None
        if entry is not None and entry.stands_in_for is not None and entry.me == me:
            return entry.stands_in_for
        generation = self.generation
        found = tuple(await uow.chat.standing_in_for(me.stored_id, day))
        if entry is not None and entry.me == me and generation == self.generation:
            entry.stands_in_for = found
        return found


class ForgetOnWrite:
    """A unit of work whose writing transactions make `askers` forget, after they end."""

    def __init__(self, inner: UnitOfWork, askers: Askers) -> None:
        self.inner = inner
        self.askers = askers

    @asynccontextmanager
    async def __call__(self, readonly: bool = False, bulk: bool = False) -> AsyncIterator[Stores]:
        if readonly:
            async with self.inner(readonly=True, bulk=bulk) as uow:
                yield uow
            return
        try:
            async with self.inner(bulk=bulk) as uow:
                yield uow
        finally:
            self.askers.forget()
