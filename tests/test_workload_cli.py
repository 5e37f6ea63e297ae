"""`frister workload` run for real, and the same figures as `/frister belastning` shows."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from bot.bootstrap import App
from bot.config import load_settings
from bot.ports.conversation import Caller
from tests.test_cli import KEY, db_url, one_line, run, run_all

NORD = "Barn och unga Nord"
STAFF = (
    "anvandare;epost;roll;enhet\n"
    f"U0ANNA001;anna.berg@kommun.se;handlaggare;{NORD}\n"
    f"U0BO00001;bo.ek@kommun.se;handlaggare;{NORD}\n"
    f"U0DAN0001;dan.chef@kommun.se;chef;{NORD}\n"
)


def cases(today: date) -> str:
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    lines += [
        f"IFO 1;{NORD};U0ANNA001;utredning_inledd;{today - timedelta(days=20)}",
        f"IFO 2;{NORD};U0ANNA001;anmalan_inkom;{today - timedelta(days=3)}",
        f"IFO 3;{NORD};U0BO00001;anmalan_inkom;{today - timedelta(days=2)}",
    ]
    return "\n".join(lines) + "\n"


async def chat_loads(url: str) -> dict[str, str]:
    settings = load_settings(FRISTER_PSEUDONYM_KEY=KEY, FRISTER_DATABASE_URL=url)
    app = App(settings)
    try:
        answer = await app.chat().command(Caller("U0DAN0001"), "belastning")
    finally:
        await app.close()
    text = "\n".join(m.text for m in answer.messages)
    found = re.findall(r"@(U0\w+)\W*: belastning ([\d,]+) ", text)
    return {user: load for user, load in found}


async def test_cli_formats_and_chat_agree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(tmp_path)}
    (tmp_path / "staff.csv").write_text(STAFF, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(cases(date.today()), encoding="utf-8")
    assert run(tmp_path, "staff", "import", "staff.csv", **db).returncode == 0
    assert run(tmp_path, "import", "cases.csv", **db).returncode == 0
    table, markdown, png, unknown, weeks = run_all(
        (tmp_path, ["workload", "--format", "csv"], "", db),
        (tmp_path, ["workload", "--enhet", "nord", "--weeks", "6"], "", db),
        (tmp_path, ["workload", "--format", "png", "--output", "w.png"], "", db),
        (tmp_path, ["workload", "--enhet", "Syd"], "", db),
        (tmp_path, ["workload", "--weeks", "13"], "", db),
    )
    assert table.returncode == 0, table.stderr
    rows = list(csv.reader(io.StringIO(table.stdout), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["enhet", "dag", "Handläggare"] and header[-1].startswith("Vecka ")
    loads = {row[2]: row[header.index("Belastning")] for row in body}
    # Anna: utredning 3 + its information duty 0,5 + skyddsbedömning 1 + förhandsbedömning 1;
    # Bo: skyddsbedömning 1 + förhandsbedömning 1. The chef holds nothing.
    assert loads == {"Anna Berg": "5,5", "Bo Ek": "2"}
    assert "U0" not in table.stdout  # names, never chat ids
    assert await chat_loads(db["FRISTER_DATABASE_URL"]) == {"U0ANNA001": "5,5", "U0BO00001": "2"}
    assert markdown.returncode == 0 and "| Anna Berg | 1 |" in markdown.stdout
    assert markdown.stdout.count("Vecka ") == 6
    assert png.returncode == 0 and (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    assert unknown.returncode == 2 and "Syd" in one_line(unknown.stderr)
    assert weeks.returncode == 2 and "--weeks" in one_line(weeks.stderr)
