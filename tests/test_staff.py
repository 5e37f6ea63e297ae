"""The staff register: `frister staff import staff.csv` (all or nothing, line-numbered Swedish
errors, a progress bar) and what it stores."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.services.staff import StaffImportAborted
from storage.database import session_factory, transaction
from storage.models import Enhet, Person
from tests.factories import add_person
from tests.test_cli import PNR, run

HEADER = "anvandare;epost;roll;enhet;ersattare\n"
GOOD = HEADER + (
    "U0ANNA001;anna@kommun.se;handläggare;Barn och unga Nord;U0BO00001\n"
    "U0BO00001;bo@kommun.se;Handläggare;Barn och unga Nord;\n"
    "U0DAN0001;dan@kommun.se;enhetschef;Barn och unga Nord;\n"
    "U0CECI001;;1:e socialsekreterare;Barn och unga Nord;\n"
    "U0GUN0001;gun@kommun.se;socialchef;;\n"
)
BAD = HEADER + (
    "U0ANNA001;anna@kommun.se;handläggare;Barn och unga Nord;\n"
    "anna;anna@;kung;;\n"
    f"U0BO00001;bo@kommun.se;handläggare;Barn och unga Nord {PNR};\n"
    "U0ANNA001;;chef;Barn och unga Nord;\n"
    "U0DAN0001;;chef;;U0DAN0001\n"
)


def test_cli_success(tmp_path):
    (tmp_path / "staff.csv").write_text(GOOD, encoding="utf-8")
    settings = {"FRISTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"}
    result = run(tmp_path, "staff", "import", "staff.csv", **settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Lästa rader: 5. Sparade personer: 5.\n"
    assert "100%" in result.stderr and "5/5" in result.stderr  # the progress bar
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="cp1252", errors="replace")
    result = run(tmp_path, "staff", "import", "bad.csv", **settings)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("rad ")]
    assert errors == [
        "rad 3: anvandare ska vara ett användar-id från chatten (Slack: U… eller W…, Teams: "
        "Entra-objekt-id)",
        "rad 3: epost är ingen e-postadress",
        "rad 3: okänd roll kung (handläggare, 1:e socialsekreterare, chef, socialchef eller admin)",
        "rad 4: kolumn 4 innehåller något som liknar ett personnummer; raden avvisas och "
        "ingenting av den sparas",
        "rad 5: U0ANNA001 finns redan på rad 2",
        "rad 6: kolumnen enhet är tom",
        "rad 6: ingen kan vara sin egen ersättare",
    ]
    assert result.stderr.splitlines()[-1] == "Ingenting importerades."
    assert PNR not in result.stderr


@pytest.fixture
def app(settings, engine) -> App:
    return App(settings, engine_override=engine)


async def people(engine) -> dict[str, Person]:
    async with transaction(session_factory(engine)) as session:
        rows = (await session.execute(select(Person))).scalars().all()
    return {p.chat_user_id or p.email: p for p in rows}


async def test_stores_roles_units_and_substitutes(app, engine):
    report = await app.staff_importer().run(GOOD)
    assert (report.rows, report.stored) == (5, 5)
    staff = await people(engine)
    async with transaction(session_factory(engine)) as session:
        nord = await session.execute(select(Enhet.id).where(Enhet.name == "Barn och unga Nord"))
        nord_id = nord.scalar_one()
    assert (staff["U0ANNA001"].role, staff["U0ANNA001"].enhet_id) == ("handlaggare", nord_id)
    assert staff["U0ANNA001"].substitute_id == staff["U0BO00001"].id
    assert staff["U0DAN0001"].role == "chef"
    assert staff["U0CECI001"].role == "forste_socialsekreterare"
    assert (staff["U0GUN0001"].role, staff["U0GUN0001"].enhet_id) == ("socialchef", None)


async def test_all_or_nothing(app, engine):
    with pytest.raises(StaffImportAborted) as aborted:
        await app.staff_importer().run(BAD)
    assert [e.line for e in aborted.value.report.errors] == [3, 3, 3, 4, 5, 6, 6]
    assert await people(engine) == {}


async def test_unknown_substitute(app, engine):
    text = HEADER + "U0ANNA001;;handläggare;Barn och unga Nord;U0NOBODY1\n"
    with pytest.raises(StaffImportAborted) as aborted:
        await app.staff_importer().run(text)
    assert str(aborted.value.report.errors[0]) == (
        "rad 2: ersättaren U0NOBODY1 finns varken i filen eller i Frister"
    )
    assert await people(engine) == {}


async def test_known_by_email_gets_chat_id(app, engine):
    """A case import named the handläggare by e-mail; the register adds the chat id."""
    await add_person(engine, "placeholder", "handlaggare", "Barn och unga Nord")
    async with transaction(session_factory(engine)) as session:
        person = (await session.execute(select(Person))).scalar_one()
        person.chat_user_id, person.email = None, "anna@kommun.se"
    await app.staff_importer().run(HEADER + "U0ANNA001;Anna@Kommun.se;chef;Barn och unga Nord;\n")
    staff = await people(engine)
    assert list(staff) == ["U0ANNA001"]
    assert (staff["U0ANNA001"].id, staff["U0ANNA001"].role) == (person.id, "chef")


async def test_absence_from_chat_is_kept(app, engine):
    await app.staff_importer().run(GOOD)
    await add_person(
        engine,
        "U0BO00001",
        "handlaggare",
        "Barn och unga Nord",
        absent_from=date(2026, 7, 1),
        absent_to=date(2026, 7, 31),
    )
    await app.staff_importer().run(GOOD)
    bo = (await people(engine))["U0BO00001"]
    assert (bo.absent_from, bo.absent_to) == (date(2026, 7, 1), date(2026, 7, 31))
