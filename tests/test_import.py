"""Importing cases from CSV into a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from bot.bootstrap import App
from bot.domain.pseudonym import Pseudonym, Pseudonymiser
from bot.services.events import EventRecorder
from bot.services.import_file import BadFile
from bot.services.importer import ImportAborted
from tests.conftest import TEST_KEY

HEADER = "arende;enhet;handlaggare;handelse;datum\n"
GOOD = (
    HEADER
    + "IFO 2026-101;Barn och unga Nord;U0AAA0001;anmalan_inkom;2026-06-12\n"
    + "IFO 2026-102;Barn och unga Nord;anna.h@kommun.example;Utredning inledd;2025-10-31\n"
    + "IFO 2026-103;Barn och unga Syd;U0AAA0002;anmalan_inkom;2025-12-17\n"
)
# A valid personnummer (Luhn ok) in the reference column.
WITH_PNR = HEADER + "19121212-1212;Barn och unga Nord;U0AAA0001;anmalan_inkom;2026-06-12\n"


@pytest.fixture
def app(settings, engine, clock) -> App:
    return App(settings, clock=clock, engine_override=engine)


async def _dump(engine) -> str:
    """Every value in every table, as one string (to prove what is not stored)."""
    tables = ["enhet", "person", "arende", "handelse", "frist", "notification", "audit_event"]
    parts = []
    async with engine.connect() as connection:
        for table in tables:
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            parts += [repr(tuple(row)) for row in rows]
    return "\n".join(parts)


async def _views(app: App):
    async with app.unit_of_work() as uow:
        return await uow.cases.deadline_views()


async def test_success(app):
    report = await app.importer().run(GOOD)
    assert (report.rows, report.new_cases, report.new_events) == (3, 3, 3)
    code = Pseudonymiser(TEST_KEY).code("IFO 2026-101")
    views = {(v.code, v.rule_id): v for v in await _views(app)}
    assert views[(code, "forhandsbedomning")].last_day == date(2026, 6, 26)
    assert views[(code, "skyddsbedomning")].last_day == date(2026, 6, 12)
    utredning = Pseudonymiser(TEST_KEY).code("IFO 2026-102")
    assert views[(utredning, "utredning")].last_day == date(2026, 3, 2)


async def test_future_date_refused(app):
    text_ = HEADER + "IFO 1;Enhet;U0AAA0001;anmalan_inkom;2027-01-01\n"
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(text_)
    assert aborted.value.report.errors[0].line == 2


async def test_idempotent_rerun(app):
    first = await app.importer().run(GOOD)
    again = await app.importer().run(GOOD)
    assert first.new_deadlines > 0
    assert (again.new_cases, again.new_events, again.existing_events) == (0, 0, 3)
    assert (again.new_deadlines, again.changed_deadlines) == (0, 0)
    assert len(await _views(app)) == first.new_deadlines


async def test_unchanged_rerun_records_nothing(app, monkeypatch):
    """An unchanged file reaches no recording; a changed one records only its new rows."""
    await app.importer().run(GOOD)
    importer = app.importer()
    recorded: list[list] = []
    record = EventRecorder.record

    async def spy(recorder, uow, entries, **kwargs):
        recorded.append([(e.code, e.event.type, e.event.date) for e in entries])
        return await record(recorder, uow, entries, **kwargs)

    monkeypatch.setattr(EventRecorder, "record", spy)
    again = await importer.run(GOOD)
    assert recorded == []
    assert (again.new_events, again.existing_events, again.new_deadlines) == (0, 3, 0)
    later = "IFO 2026-101;Barn och unga Nord;U0AAA0001;Utredning inledd;2026-06-20\n"
    changed = await importer.run(GOOD + later + later)
    code = Pseudonymiser(TEST_KEY).code("IFO 2026-101")
    assert recorded == [[(code, "utredning_inledd", date(2026, 6, 20))] * 2]
    assert (changed.new_events, changed.existing_events, changed.changed_deadlines) == (1, 3, 1)


async def test_reference_never_stored(app, engine):
    await app.importer().run(GOOD)
    dump = await _dump(engine)
    for reference in ("IFO 2026-101", "IFO2026-101", "2026-101"):
        assert reference not in dump
    assert Pseudonymiser(TEST_KEY).code("IFO 2026-101") in dump


async def test_personnummer_refused_and_not_stored(app, engine):
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(GOOD + WITH_PNR.removeprefix(HEADER))
    errors = aborted.value.report.errors
    assert [e.line for e in errors] == [5]
    assert "1212" not in str(errors[0])
    assert "personnummer" in str(errors[0])
    assert "1212121212" not in (await _dump(engine)).replace("-", "")
    assert await _views(app) == []  # nothing imported at all


async def test_skip_bad(app, engine):
    bad = "IFO 9;Barn och unga Nord;U0AAA0001;anmalan_inkommen;2026-06-12\n"
    report = await app.importer().run(GOOD + bad + WITH_PNR.removeprefix(HEADER), skip_bad=True)
    assert report.new_cases == 3
    assert [e.line for e in report.errors] == [5, 6]
    assert "anmalan_inkom" in str(report.errors[0])  # suggests the closest event
    assert "121212" not in await _dump(engine)


@pytest.mark.parametrize(
    ("cells", "number"),
    [
        ("Barn och unga Nord;U0AAA0001;utredning_inledd 1912 12 12 - 1212", "1912 12 12 - 1212"),
        ("Barn och unga 1912 12 12 - 1212;U0AAA0001;anmalan_inkom", "1912 12 12 - 1212"),
        ("Nord 121212-12 12;U0AAA0001;anmalan_inkom", "121212-12 12"),
        ("Nord 201701022383;U0AAA0001;anmalan_inkom", "201701022383"),  # Luhn fails
    ],
)
async def test_identifier_in_any_cell_never_echoed_nor_stored(app, engine, cells, number):
    """A refused value appears in no error line, summary or table, however it is grouped."""
    text_ = GOOD + f"IFO 8;{cells};2026-06-12\n"
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(text_)
    report = await app.importer().run(text_, skip_bad=True)
    assert report.new_cases == 3
    for errors in (aborted.value.report.errors, report.errors):
        (error,) = errors
        assert error.line == 5
        assert "personnummer" in str(error)
    output = [str(e) for e in aborted.value.report.errors + report.errors]
    output += [report.summary(), aborted.value.report.summary(), str(aborted.value)]
    digits = "".join(c for c in number if c.isdigit())
    for line in output + (await _dump(engine)).splitlines():
        assert number not in line
        assert digits[-10:] not in "".join(c for c in line if c.isdigit())


async def test_screened_cells_are_remembered_per_value_not_per_column(app):
    """A value screened clean in one row is not screened again; the refusal still names the
    column of the identifier, whichever cells of the row were known."""
    row = "IFO 7;Barn och unga Nord;U0AAA0001;anmalan_inkom;2026-06-12"
    rows = [
        row,
        row.replace("anmalan_inkom", "19121212-1212"),
        row.replace("Barn och unga Nord", "Barn och unga 19121212-1212"),
        "Barn och unga Nord;Barn och unga Nord;U0AAA0001;anmalan_inkom;2026-06-12",
        "IFO 7;IFO 7;U0AAA0001;anmalan_inkom;2026-06-12",
        "IFO 7;Barn och unga Nord;U0AAA0001;anmalan_inkom;2026-06-12;19121212-1212",
    ]
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(HEADER + "\n".join(rows) + "\n")
    errors = [(e.line, str(e)) for e in aborted.value.report.errors]
    assert [line for line, _text in errors] == [3, 4, 7]
    assert "kolumn 4 " in errors[0][1] and "personnummer" in errors[0][1]
    assert "kolumn 2 " in errors[1][1]
    assert "kolumn 6 " in errors[2][1]


async def test_a_case_rows_in_a_row_are_hashed_once(app, monkeypatch):
    calls: list[str] = []
    pseudonym = Pseudonymiser.pseudonym

    def spy(pseudonymiser, reference):
        calls.append(reference)
        return pseudonym(pseudonymiser, reference)

    monkeypatch.setattr(Pseudonymiser, "pseudonym", spy)
    later = "IFO 2026-101;Barn och unga Nord;U0AAA0001;Utredning inledd;2026-06-20\n"
    rows, errors, _count = app.importer().parse(GOOD + later + later + GOOD.removeprefix(HEADER))
    assert errors == []
    # 101, 102, 103, 101, 101 (the same), 101 (the same again), 102, 103
    assert calls == ["IFO 2026-101", "IFO 2026-102", "IFO 2026-103"] * 2
    assert len({row.code for row in rows}) == 3
    assert rows[3].code == rows[0].code == Pseudonymiser(TEST_KEY).code("IFO 2026-101")
    assert rows[3].fingerprint == rows[0].fingerprint


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("IFO 1;Enhet;U0AAA0001;anmalan_inkom;12/6 2026", "ÅÅÅÅ-MM-DD"),
        ("IFO 1;Enhet;U0AAA0001;anmalan_inkom;2026-02-30", "finns inte"),
        ("IFO 1;Enhet;Anna;anmalan_inkom;2026-02-03", "e-postadress"),
        ("IFO 1;;U0AAA0001;anmalan_inkom;2026-02-03", "enhet"),
        ("IFO 1;Enhet;U0AAA0001;anmalan_inkom", "kolumner"),
        ("IFO 1;Enhet;U0AAA0001;okand;2026-02-03", "okänd händelse"),
    ],
)
async def test_bad_row_reported_in_swedish(app, row, fragment):
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(HEADER + row + "\n")
    (error,) = aborted.value.report.errors
    assert error.line == 2
    assert str(error).startswith("rad 2: ")
    assert fragment in str(error)


async def test_missing_column(app):
    with pytest.raises(BadFile) as refused:
        await app.importer().run("arende;enhet;datum\nIFO 1;Enhet;2026-01-02\n")
    assert "arende, enhet, handlaggare, handelse, datum" in str(refused.value)


async def test_unknown_enhet_refused(app):
    """With new_units given, only known enheter (and those) are accepted; the closest is named."""
    await app.importer().run(GOOD)  # creates Barn och unga Nord and Syd
    typo = HEADER + "IFO 9;Barn och unga Nodr;U0AAA0001;anmalan_inkom;2026-06-12\n"
    with pytest.raises(ImportAborted) as aborted:
        await app.importer(new_units=()).run(typo)
    (error,) = aborted.value.report.errors
    assert error.line == 2
    assert "menade du Barn och unga Nord?" in str(error) and "Nodr" not in str(error)
    report = await app.importer(new_units=["Barn och unga Nodr"]).run(typo)
    assert report.new_cases == 1


async def test_comma_and_swedish_header(app):
    csv_text = (
        "Ärende,Enhet,Handläggare,Händelse,Datum\nIFO 7,Nord,U0AAA0009,Anmälan inkom,2026-03-02\n"
    )
    report = await app.importer().run(csv_text)
    assert report.new_events == 1


class _ClashingPseudonymiser(Pseudonymiser):
    """Every reference gets the same code: a forced collision."""

    def pseudonym(self, reference: str) -> Pseudonym:
        real = super().pseudonym(reference)
        return Pseudonym(code="AAAA-AAAA", fingerprint=real.fingerprint)


async def test_collision_refused(app):
    app.__dict__["pseudonymiser"] = _ClashingPseudonymiser(TEST_KEY)
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(GOOD)
    assert "AAAA-AAAA" in str(aborted.value.report.errors[0])
    assert await _views(app) == []


async def test_collision_with_stored_case_refused(app):
    app.__dict__["pseudonymiser"] = _ClashingPseudonymiser(TEST_KEY)
    await app.importer().run(HEADER + "IFO 1;Nord;U0AAA0001;anmalan_inkom;2026-06-12\n")
    with pytest.raises(ImportAborted):
        await app.importer().run(HEADER + "IFO 2;Nord;U0AAA0001;anmalan_inkom;2026-06-12\n")


async def test_later_event_closes_deadline(app):
    await app.importer().run(GOOD)
    later = HEADER + "IFO 2026-101;Barn och unga Nord;U0AAA0001;utredning_inledd;2026-06-20\n"
    report = await app.importer().run(later)
    assert report.changed_deadlines == 1  # förhandsbedömning done
    code = Pseudonymiser(TEST_KEY).code("IFO 2026-101")
    views = {(v.code, v.rule_id): v for v in await _views(app)}
    assert views[(code, "forhandsbedomning")].status == "done"
    assert views[(code, "utredning")].last_day == date(2026, 10, 20)


async def test_entra_object_id_as_handlaggare(app):
    """Teams knows people by their Entra object id; the import stores it as Teams sends it."""
    guid = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    report = await app.importer().run(
        HEADER + f"IFO 2026-201;Barn och unga Nord;{guid};anmalan_inkom;2026-06-12\n"
    )
    assert report.new_cases == 1
    async with app.unit_of_work() as uow:
        person = await uow.chat.staff_by_chat_id(guid.lower())
    assert person is not None


async def test_bad_handlaggare_refused(app):
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(
            HEADER + "IFO 2026-202;Barn och unga Nord;anna;anmalan_inkom;2026-06-12\n"
        )
    assert "Entra" in aborted.value.report.errors[0].message


async def test_a_bulk_transaction_has_its_own_sqlite_cache(app, engine):
    """The import's connection gets BULK_CACHE_KIB of page cache; the next user gets its own."""
    from storage.database import BULK_CACHE_KIB

    if engine.dialect.name != "sqlite":
        pytest.skip("an SQLite pragma")

    async def size(**kwargs) -> int:
        async with app.unit_of_work(**kwargs) as uow:
            return (await uow.cases.session.execute(text("PRAGMA cache_size"))).scalar_one()

    own = await size()
    assert await size(bulk=True) == -BULK_CACHE_KIB != own
    assert await size() == own
    with pytest.raises(ImportAborted):
        async with app.unit_of_work(bulk=True):
            raise ImportAborted(None)  # type: ignore[arg-type]
    assert await size() == own
