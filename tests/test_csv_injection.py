"""CSV injection: formula-like enhet names are refused at both imports, and every CSV file
Frister writes neutralises formula-like text cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from bot.bootstrap import App
from bot.services.csv_cells import csv_text, neutral, starts_like_formula
from bot.services.ej_verkstallda import Entry, QuarterReport, parse_quarter, quarter_csv
from bot.services.importer import ImportAborted
from bot.services.report_formats import to_csv
from bot.services.reports import build_report
from bot.services.staff import StaffImportAborted
from tests.factories import import_rows

FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)*cmd|x", "+1+cmd|' /C calc'!A0", "-2+3"]
REFUSAL = (
    "enhet får inte börja med =, +, -, @ eller tabb: "
    "ett kalkylprogram skulle köra det som en formel"
)


@pytest.fixture
def app(settings, engine, clock) -> App:
    return App(settings, clock=clock, engine_override=engine)


def _csv_line(*cells: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize("name", FORMULAS)
async def test_the_case_import_refuses_a_formula_as_enhet(app, name):
    row = _csv_line("IFO 1", name, "U0AAA0001", "anmalan_inkom", "2026-02-03")
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run("arende;enhet;handlaggare;handelse;datum\n" + row)
    assert [str(e) for e in aborted.value.report.errors] == [f"rad 2: {REFUSAL}"]


@pytest.mark.parametrize("name", FORMULAS)
async def test_the_staff_import_refuses_a_formula_as_enhet(app, name):
    row = _csv_line("U0ANNA001", "anna@kommun.se", "handläggare", name)
    with pytest.raises(StaffImportAborted) as aborted:
        await app.staff_importer().run("anvandare;epost;roll;enhet\n" + row)
    assert [str(e) for e in aborted.value.report.errors] == [f"rad 2: {REFUSAL}"]


async def test_the_month_report_neutralises_a_stored_formula(app, engine, clock):
    clock.set(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    await import_rows(app, ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 1)))
    formula = FORMULAS[0]
    async with engine.begin() as connection:  # past the import, straight into the database
        await connection.execute(text("UPDATE enhet SET name = :name"), {"name": formula})
    async with app.unit_of_work() as uow:
        (name,) = await uow.reports.unit_names()
        rows = await uow.reports.report_rows(name)
    assert name == formula
    output = to_csv([build_report(name, rows, date(2026, 6, 1), date(2026, 7, 20))])
    table = list(csv.reader(io.StringIO(output), delimiter=";"))
    body = [line for line in table if line and line[0] != "enhet"]  # both tables' rows
    assert len(body) == 6 and {line[0] for line in body} == {"'" + formula}
    assert all(not cell.startswith(("=", "+", "@")) for line in body for cell in line)


def test_the_ej_verkstallda_report_neutralises_a_formula():
    quarter = parse_quarter("2026-Q2")
    assert quarter is not None
    entry = Entry("@SUM(1+1)*cmd|x", "AAAA-AAAA", "4 kap. 1 § SoL", None, None, 95, "open", None)
    output = quarter_csv(QuarterReport(quarter, [entry]))
    (line,) = list(csv.reader(io.StringIO(output), delimiter=";"))[1:]
    assert line[0] == "'@SUM(1+1)*cmd|x"
    assert line[6] == "95"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+46 8 123", "'+46 8 123"),
        ("-cmd", "'-cmd"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+2,5", "+2,5"),
        (-3, -3),
        ("Nord", "Nord"),
        ("–", "–"),
        ("", ""),
    ],
)
def test_neutral(cell, written):
    assert neutral(cell) == written


def test_csv_text_keeps_numbers_numeric():
    assert csv_text([["=1", -3, "-3", "a"]]) == "'=1;-3;-3;a\r\n"
    assert not starts_like_formula("Barn och unga")
