"""The in-memory unit of work keeps a block's changes only when the block ends without an error."""

from __future__ import annotations

import pytest

from tests.services.conftest import NORD, World


async def test_changes_are_committed(world: World) -> None:
    async with world.uow() as uow:
        await uow.cases.ensure_units([NORD], world.clock.now())
    async with world.uow(readonly=True) as uow:
        assert await uow.reports.unit_names() == [NORD]


async def test_changes_are_discarded_when_the_block_raises(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.uow() as uow:
            await uow.cases.ensure_units([NORD], world.clock.now())
            await uow.outbox.set_state("planner:last_tick", "x", world.clock.now())
            raise RuntimeError("boom")
    async with world.uow() as uow:
        assert await uow.reports.unit_names() == []
        assert await uow.outbox.get_state("planner:") == {}


async def test_readonly_work_is_not_kept(world: World) -> None:
    async with world.uow(readonly=True) as uow:
        await uow.cases.ensure_units([NORD], world.clock.now())
    async with world.uow() as uow:
        assert await uow.reports.unit_names() == []
