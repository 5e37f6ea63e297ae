"""`frister report`, `status` and the help, run for real; the sample files in docs/examples."""

from __future__ import annotations

import argparse
import asyncio
import uuid

import pytest
from sqlalchemy import text

from bot.cli import build_parser
from storage.database import create_engine
from tests.conftest import POSTGRES_URL
from tests.test_cli import KEY, ROOT, db_url, one_line, run

EXAMPLES = ROOT / "docs" / "examples"


def _settings(folder) -> dict[str, str]:
    return {"FRISTER_DATABASE_URL": db_url(folder), "FRISTER_PSEUDONYM_KEY": KEY}


def _imported(folder) -> dict[str, str]:
    settings = _settings(folder)
    staff = run(folder, "staff", "import", str(EXAMPLES / "staff.csv"), **settings)
    assert staff.returncode == 0, staff.stderr
    cases = run(folder, "import", str(EXAMPLES / "cases.csv"), **settings)
    assert cases.returncode == 0, cases.stderr
    assert "rad " not in cases.stderr and "importerade: 7" in cases.stdout
    return settings


def test_a_fresh_database(tmp_path):
    settings = _settings(tmp_path)
    status = run(tmp_path, "status", **settings)
    assert status.returncode == 1
    assert "frister staff import" in status.stdout and "docs/examples" in status.stdout
    report = run(tmp_path, "report", "--month", "2026-11", **settings)
    assert report.returncode == 1 and report.stdout == ""
    assert one_line(report.stderr).startswith("Det finns inget att rapportera")


def test_examples_and_every_format(tmp_path):
    settings = _imported(tmp_path)
    empty = run(tmp_path, "report", "--month", "2020-01", **settings)
    assert empty.returncode == 1
    assert one_line(empty.stderr).startswith("Det finns inga frister att rapportera för 2020-01")
    unknown = run(tmp_path, "report", "--month", "2026-11", "--enhet", "Öst", **settings)
    assert unknown.returncode == 2 and "Barn och unga Nord" in one_line(unknown.stderr)

    csv_file = tmp_path / "r.csv"
    made = run(tmp_path, "report", "--month", "2026-11", "--format", "csv", "--output",
               str(csv_file), **settings)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbfenhet;")  # a BOM for Excel

    charts = run(tmp_path, "report", "--month", "2026-11", "--format", "png", "--output",
                 str(tmp_path / "trend.png"), **settings)  # fmt: skip
    assert charts.returncode == 0, charts.stderr
    written = sorted(p.name for p in tmp_path.glob("trend*.png"))
    assert written == ["trend-barn-och-unga-nord.png", "trend-barn-och-unga-syd.png"]
    assert all(name in charts.stdout for name in written)


def test_every_command_describes_itself_and_its_arguments():
    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    assert sub.description, f"{path} {name}"
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and path not in IMPORTS:
                assert action.help, f"{path}: {action.dest}"

    IMPORTS = {"frister import", "frister staff import"}  # their columns: the import's help
    walk(build_parser(), "frister")


@pytest.mark.skipif(not POSTGRES_URL, reason="needs FRISTER_TEST_DATABASE_URL")
async def test_an_unmigrated_postgresql_database(tmp_path):
    """`report` on a PostgreSQL database nobody has upgraded: one line naming the fix."""
    name = f"frister_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        result = await asyncio.to_thread(
            run, tmp_path, "report", "--month", "2026-11", FRISTER_DATABASE_URL=url
        )
        assert result.returncode == 2 and result.stdout == ""
        assert "frister db upgrade" in one_line(result.stderr)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
