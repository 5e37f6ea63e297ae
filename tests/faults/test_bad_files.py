"""Bad input to `frister import` and `frister staff import`, and a database it cannot use.

Each gets one Swedish line on stderr, a non-zero exit, nothing stored and no traceback. The
commands run in-process through `bot.cli.main` on real SQLite files.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import tracemalloc
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

import storage.database
from bot.cli import main
from bot.services.import_file import MAX_LINE_BYTES, BadFile, open_import_file
from storage.database import create_engine

KEY = "faults-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
CASES = "arende;enhet;handlaggare;handelse;datum\n"
STAFF = "anvandare;epost;roll;enhet\nU0ANNA001;anna@kommun.example;handläggare;{enhet}\n"
DAY = (date.today() - timedelta(days=20)).isoformat()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr without the progress bars."""
        segments = re.split(r"[\r\n]", self.err)
        return [s for s in segments if s.strip() and not s.startswith(("Rader", "Ärenden"))]

    @property
    def line(self) -> str:
        """The only line on stderr besides progress bars (fails when there are more or none)."""
        assert len(self.lines) == 1, self.err
        return self.lines[0]


@pytest.fixture
def frister(tmp_path, monkeypatch, capsys):
    """Run `frister ARGS` in-process with a fresh SQLite file in `tmp_path`."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("FRISTER_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FRISTER_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("FRISTER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")

    def call(*args: str, **env: str) -> Result:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse (--help)
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Result(code, out, err)

    return call


def _cases(tmp_path: Path) -> int:
    """How many cases the database holds (0 when it was never created)."""
    path = tmp_path / "f.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "arende" not in tables:
            return 0
        return connection.execute("SELECT count(*) FROM arende").fetchone()[0]


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return name


def _row(n: int, enhet: str = "Nord") -> str:
    return f"IFO {n};{enhet};U0ANNA001;anmalan_inkom;{DAY}\n"


# ---- unreadable files ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["import"], ["staff", "import"]])
def test_random_bytes(frister, tmp_path, command):
    name = _write(tmp_path, "x.csv", random.Random(14).randbytes(8192))
    result = frister(*command, name)
    assert result.code == 1
    assert result.line == (
        "x.csv är ingen textfil: exportera listan som CSV (UTF-8 eller Windows-1252) och "
        "importera igen. Ingenting importerades."
    )
    assert result.out == ""
    assert _cases(tmp_path) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x.csv är tom. Ingenting importerades."),
        (
            CASES.encode("utf-16"),
            "x.csv är sparad som UTF-16: spara den som CSV (UTF-8 eller semikolonavgränsad) och "
            "importera igen. Ingenting importerades.",
        ),
        (
            b"\n\n" + CASES.encode(),
            "Filen är tom eller börjar med en tom rad. Ingenting importerades.",
        ),
    ],
)
def test_empty_or_utf16(frister, tmp_path, data, message):
    result = frister("import", _write(tmp_path, "x.csv", data))
    assert (result.code, result.line) == (1, message)


@pytest.mark.parametrize("command", [["import"], ["staff", "import"]])
def test_line_too_long(frister, tmp_path, command):
    data = (CASES + _row(1)).encode() + b"IFO 2;" + b"N" * MAX_LINE_BYTES + b"\n"
    result = frister(*command, _write(tmp_path, "long.csv", data))
    assert result.code == 1
    assert result.line.startswith("Rad 3 i long.csv är längre än 64 KiB")
    assert _cases(tmp_path) == 0


def test_line_at_the_limit_is_read(tmp_path):
    line = b"a;" + b"N" * (MAX_LINE_BYTES - 3) + b"\n"
    assert len(line) == MAX_LINE_BYTES
    checked = open_import_file(tmp_path / _write(tmp_path, "ok.csv", CASES.encode() + line))
    assert checked.data_lines == 1


def test_long_line_read_in_bounded_memory(tmp_path):
    """A 20 MB line is refused after reading about one line's limit, not the whole line."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as stream:
        stream.write(CASES.encode())
        for _ in range(20):
            stream.write(b"N" * 1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(BadFile, match="längre än 64 KiB"):
            open_import_file(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_LINE_BYTES


def test_unclosed_quote(frister, tmp_path):
    text = CASES + '"IFO 1;Nord;U0ANNA001;anmalan_inkom;2026-01-01\n' + ("x" * 60_000 + "\n") * 3
    result = frister("import", _write(tmp_path, "q.csv", text.encode()))
    assert result.code == 1
    assert result.line.startswith("Rad 5 går inte att läsa som CSV")


# ---- encodings -------------------------------------------------------------------------------


def test_mixed_encodings_refused(frister, tmp_path):
    data = CASES.encode() + _row(1, "Söder").encode() + _row(2, "Söder").encode("cp1252")
    result = frister("import", _write(tmp_path, "mixed.csv", data))
    assert result.code == 1
    assert result.line == (
        "mixed.csv blandar två teckenkodningar: rad 2 är UTF-8 men rad 3 är Windows-1252. "
        "Spara hela filen som UTF-8 och importera igen. Ingenting importerades."
    )
    assert _cases(tmp_path) == 0


def test_mixed_encodings_name_a_few_lines(tmp_path):
    rows = [_row(n, "Söder").encode("cp1252" if n % 2 else "utf-8") for n in range(12)]
    path = tmp_path / _write(tmp_path, "mixed.csv", CASES.encode() + b"".join(rows))
    with pytest.raises(BadFile) as refused:
        open_import_file(path)
    assert "rad 2, 4, 6 och 3 till är UTF-8 men rad 3, 5, 7 och 3 till är" in str(refused.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_one_encoding_read_right(frister, tmp_path, encoding):
    staff = STAFF.format(enhet="Barn och unga Söder").encode(encoding)
    cases = (CASES + _row(1, "Barn och unga Söder")).encode(encoding)
    assert frister("staff", "import", _write(tmp_path, "s.csv", staff)).code == 0
    result = frister("import", _write(tmp_path, "c.csv", cases))
    assert result.code == 0, result.err
    with sqlite3.connect(tmp_path / "f.db") as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM enhet")]
    assert names == ["Barn och unga Söder"]


# ---- the header and the help -----------------------------------------------------------------


def test_wrong_header(frister, tmp_path):
    passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    result = frister("import", _write(tmp_path, "passwd", passwd.encode()))
    assert result.code == 1
    assert result.line == (
        "Rubrikraden är fel: filen måste ha kolumnerna arende, enhet, handlaggare, handelse, "
        "datum. Valfri: beslutsniva. Ingenting importerades."
    )
    staff = frister("staff", "import", "passwd")
    assert staff.code == 1
    assert staff.line.startswith("Rubrikraden är fel: filen måste ha kolumnerna anvandare, epost")


def test_bars_end_cleanly(frister, tmp_path):
    frister("staff", "import", _write(tmp_path, "s.csv", STAFF.format(enhet="Nord").encode()))
    result = frister("import", _write(tmp_path, "c.csv", (CASES + _row(1) + _row(2)).encode()))
    assert result.code == 0, result.err
    assert "\x1b[" not in result.err
    assert "2/2" in result.err and " ärenden" in result.err
    assert "0ärenden" not in result.err


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["import"], ["arende", "enhet", "handlaggare", "handelse", "datum", "--new-enhet"]),
        (["staff", "import"], ["anvandare", "epost", "roll", "enhet", "ersattare"]),
    ],
)
def test_help_lists_columns(frister, command, expected):
    result = frister(*command, "--help")
    assert result.code == 0
    columns = result.out.split("Kolumner:")[1]
    for name in expected:
        assert name in result.out
    assert "ÅÅÅÅ-MM-DD" in columns or "Slack" in columns


# ---- enheter ---------------------------------------------------------------------------------


def test_unknown_enhet_is_a_bad_row(frister, tmp_path):
    frister("staff", "import", _write(tmp_path, "s.csv", STAFF.format(enhet="Söder").encode()))
    cases = CASES + _row(1, "Söder") + _row(2, "Södr")
    result = frister("import", _write(tmp_path, "c.csv", cases.encode()))
    assert result.code == 1
    assert result.lines[:2] == [
        "rad 3: enheten finns inte i personalregistret: menade du Söder? (en ny enhet skapas "
        "bara med --new-enhet)",
        "1 rad har fel.",
    ]
    assert result.lines[0] == (
        "rad 3: enheten finns inte i personalregistret: menade du Söder? (en ny enhet skapas "
        "bara med --new-enhet)"
    )
    assert "Södr" not in result.err
    assert _cases(tmp_path) == 0
    created = frister("import", "--new-enhet", "Södr", "c.csv")
    assert created.code == 0, created.err
    assert _cases(tmp_path) == 2


def test_no_register_no_enhet(frister, tmp_path):
    result = frister("import", _write(tmp_path, "c.csv", (CASES + _row(1)).encode()))
    assert result.code == 1
    assert "importera personalen först" in result.err
    assert _cases(tmp_path) == 0


# ---- the database ----------------------------------------------------------------------------


def test_disk_full(frister, tmp_path, monkeypatch):
    """SQLite reports SQLITE_FULL (the file may not grow): one line, nothing stored."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    frister("staff", "import", _write(tmp_path, "s.csv", STAFF.format(enhet="Nord").encode()))

    def full(url: str, **kwargs):
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _cap(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA max_page_count=1")  # never below the current size

        return engine

    monkeypatch.setattr(storage.database, "create_engine", full)  # App imports it on use
    rows = "".join(_row(n) for n in range(400))
    result = frister("import", _write(tmp_path, "c.csv", (CASES + rows).encode()))
    assert result.code == 1
    assert result.line == (
        "Disken är full: importen avbröts och ingenting sparades. Frigör utrymme och kör den igen."
    )
    assert url and _cases(tmp_path) == 0


@pytest.mark.parametrize(
    "command",
    [
        ["import", "c.csv"],
        ["staff", "import", "c.csv"],
        ["status"],
        ["report", "--month", "2026-11"],
        ["db", "upgrade"],
        ["audit", "verify"],
        ["serve"],
    ],
)
def test_database_directory_missing(frister, tmp_path, command):
    (tmp_path / "c.csv").write_text(CASES + _row(1), encoding="utf-8")
    missing = tmp_path / "nowhere"
    result = frister(
        *command,
        FRISTER_DATABASE_URL=f"sqlite+aiosqlite:///{missing / 'f.db'}",
        FRISTER_MODE="http",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="test-secret",
    )
    assert result.code == 1
    assert result.line == (
        f"Mappen {missing} för SQLite-databasen finns inte: skapa den eller ändra "
        "FRISTER_DATABASE_URL."
    )
    assert not missing.exists()


def test_database_file_cannot_be_opened(frister, tmp_path):
    """The URL names a directory: SQLite cannot open it (SQLITE_CANTOPEN)."""
    (tmp_path / "db").mkdir()
    result = frister("status", FRISTER_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db'}")
    assert result.code == 1
    assert result.line.startswith("Frister kan inte öppna sin SQLite-databas")
