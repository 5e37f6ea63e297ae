"""An in-memory implementation of the ports: the unit of work and its stores, over dicts.

`MemoryUnitOfWork` behaves like the SQL one where the services can tell: a block's changes are
kept when it ends without an error and discarded when it raises (each block works on a copy of
the data, which replaces the data on commit). Read-only blocks never commit. `MemoryMessenger`
stands in for a chat platform. Fast service tests
run the real use cases against it (tests/services/); the SQL behaviour itself (locking, skip
locked, ON CONFLICT) is tested against the databases.
"""

from bot.testing.memory.data import Data
from bot.testing.memory.messenger import MemoryMessenger, Posted
from bot.testing.memory.unit_of_work import MemoryUnitOfWork, memory_stores

__all__ = ["Data", "MemoryMessenger", "MemoryUnitOfWork", "Posted", "memory_stores"]
