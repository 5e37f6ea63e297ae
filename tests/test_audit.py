"""The hash-chained audit trail on a real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.bootstrap import App
from bot.domain.audit import GENESIS, KeptHead, parse_head, verify
from tests.factories import code_of, import_rows

NORD = "Barn och unga Nord"


@pytest.fixture
def app(settings, engine, clock) -> App:
    return App(settings, clock=clock, engine_override=engine)


async def _verify(app):
    async with app.unit_of_work() as uow:
        return verify([record async for record in uow.audit.records()])


async def test_import_is_audited(app):
    await import_rows(
        app,
        ("IFO 1", NORD, "U0AAA0001", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0AAA0001", "utredning_inledd", date(2026, 6, 20)),
    )
    async with app.unit_of_work() as uow:
        records = [record async for record in uow.audit.records()]
    actions = [(r.action, r.arende_code) for r in records]
    assert ("handelse_registrerad", code_of("IFO 1")) in actions
    assert ("frist_done", code_of("IFO 1")) not in actions  # both events in one import
    assert records[0].prev_hash == GENESIS
    assert all("IFO" not in str(r.detail) for r in records)
    result = verify(records)
    assert result.ok and result.checked == len(records) == 2


async def test_chain_links(app):
    async with app.unit_of_work() as uow:
        for number in range(5):
            await uow.audit.append("U0ADMIN01", "test", None, {"n": number}, app.clock.now())
    result = await _verify(app)
    assert result.ok and result.checked == 5
    async with app.unit_of_work() as uow:
        assert (await uow.audit.head()) == (5, result.head)


async def test_concurrent_appends_do_not_fork(app):
    async def append(number: int) -> None:
        async with app.unit_of_work() as uow:
            await uow.audit.append("U0ADMIN01", "test", None, {"n": number}, app.clock.now())

    await asyncio.gather(*(append(n) for n in range(20)))
    result = await _verify(app)
    assert result.ok and result.checked == 20


async def test_tampering_named(app, engine):
    async with app.unit_of_work() as uow:
        for number in range(4):
            await uow.audit.append("U0ADMIN01", "test", None, {"n": number}, app.clock.now())
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            async with engine.begin() as connection:
                await connection.execute(
                    text("UPDATE audit_event SET detail = '{\"n\": 9}' WHERE seq = 3")
                )
        with pytest.raises(DBAPIError):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        assert (await _verify(app)).ok
        return
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE audit_event SET detail = '{\"n\": 9}' WHERE seq = 3"))
    result = await _verify(app)
    assert (result.ok, result.first_broken, result.reason) == (False, 3, "hash")


async def test_deleted_row_named(app, engine):
    async with app.unit_of_work() as uow:
        for number in range(4):
            await uow.audit.append("U0ADMIN01", "test", None, {"n": number}, app.clock.now())
    if engine.dialect.name == "postgresql":  # the trigger refuses it; the chain stays whole
        with pytest.raises(DBAPIError):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        assert (await _verify(app)).ok
        return
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    result = await _verify(app)
    assert (result.ok, result.first_broken, result.reason) == (False, 2, "missing")


def test_timestamp_canonical():
    from bot.domain.audit import canonical

    summer = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
    assert b'"at":"2026-06-12T08:00:00.000000+00:00"' in canonical(1, summer, "a", "b", None, {})


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        (None, {}),
        ("AB12CD34", {"typ": "anmalan_inkom", "datum": "2026-06-12", "n": 3}),
        ('x"\\y', {"ö": ["ä", None, True, 1.5], "a": {"z": 1, "b": 'q"\n'}}),
    ],
)
def test_a_row_around_an_encoded_detail_is_the_whole_row_encoded(code, detail):
    import json

    from bot.domain.audit import canonical, canonical_detail, canonical_row

    at = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
    row = {"seq": 12, "at": "2026-06-12T08:00:00.000000+00:00", "actor": "Ö'1"}
    row |= {"action": "test", "arende_code": code, "detail": detail}
    whole = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_row(12, at, "Ö'1", "test", code, canonical_detail(detail)) == whole
    assert canonical(12, at, "Ö'1", "test", code, detail) == whole


async def test_rows_stored_with_the_older_detail_spacing_still_verify(app, engine):
    async with app.unit_of_work() as uow:
        for number in range(3):
            detail = {"n": number, "typ": "ö"}
            await uow.audit.append("U0ADMIN01", "test", None, detail, app.clock.now())
    assert (await _verify(app)).ok
    if engine.dialect.name == "postgresql":  # the trigger refuses updates
        return
    async with engine.begin() as connection:  # as json.dumps(sort_keys=True) stored it
        await connection.execute(
            text('UPDATE audit_event SET detail = \'{"n": 1, "typ": "ö"}\' WHERE seq = 2')
        )
        await connection.execute(
            text('UPDATE audit_event SET detail = \'{"n": 1, "typ": "o"}\' WHERE seq = 3')
        )
    result = await _verify(app)
    assert (result.ok, result.first_broken, result.reason) == (False, 3, "hash")


async def _chain(app, rows: int) -> KeptHead:
    async with app.unit_of_work() as uow:
        for number in range(rows):
            await uow.audit.append("U0ADMIN01", "test", None, {"n": number}, app.clock.now())
        seq, digest = await uow.audit.head()
    return KeptHead(digest, seq)


async def test_a_kept_head_is_reached_by_an_intact_chain(app):
    kept = await _chain(app, 3)
    async with app.unit_of_work() as uow:
        await uow.audit.append("U0ADMIN01", "later", None, {}, app.clock.now())
        records = [record async for record in uow.audit.records()]
    assert verify(records, [kept]).ok
    assert verify(records, [KeptHead(kept.hash)]).ok
    assert verify([], [KeptHead(GENESIS, 0)]).ok


async def test_deleting_the_newest_rows_no_longer_reaches_the_kept_head(app, engine):
    kept = await _chain(app, 5)
    if engine.dialect.name == "postgresql":  # the trigger refuses it; the chain stays whole
        with pytest.raises(DBAPIError):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
        return
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    async with app.unit_of_work() as uow:
        records = [record async for record in uow.audit.records()]
    assert verify(records).ok  # the chain alone cannot tell
    result = verify(records, [kept])
    assert (result.ok, result.checked, result.first_broken, result.reason) == (False, 3, 5, "head")


def test_a_kept_head_with_another_sequence_number_is_not_reached():
    from bot.domain.audit import AuditRecord, canonical, chain_hash

    at = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
    digest = chain_hash(GENESIS, canonical(1, at, "a", "b", None, {}))
    records = [AuditRecord(1, at, "a", "b", None, {}, GENESIS, digest)]
    assert verify(records, [KeptHead(digest, 1)]).ok
    assert verify(records, [KeptHead(digest, 2)]).reason == "head"


@pytest.mark.parametrize(
    ("line", "head"),
    [
        ("12 " + "a" * 64, KeptHead("a" * 64, 12)),
        ("A" * 64 + "\n", KeptHead("a" * 64)),
        ("2026-12-03 7 " + "b" * 64, KeptHead("b" * 64, 7)),
    ],
)
def test_parse_head(line, head):
    assert parse_head(line) == head


@pytest.mark.parametrize("line", ["", "12", "12 abc", "g" * 64])
def test_parse_head_refuses(line):
    with pytest.raises(ValueError):
        parse_head(line)
