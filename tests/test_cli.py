"""The `frister` command line, run for real in a subprocess (`python -m bot.cli`).

Each test gets a clean environment: no FRISTER_*/SLACK_* variables from the caller, the
working directory is a fresh temporary folder (so no `.env` is read) and the repository
root is put on PYTHONPATH, so the tests work from any clone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.domain.pseudonym import Pseudonymiser
from bot.domain.rules import load_rule_pack
from storage.database import head_revision

ROOT = Path(__file__).resolve().parents[1]
KEY = "cli-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
OTHER_KEY = "another-cli-key-0123456789-abcdefghijklmnopqrstuv"
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
PNR = "19121212-1212"  # a valid personnummer (Luhn ok), the Skatteverket test person


def _env(settings: dict[str, str]) -> dict[str, str]:
    """The caller's environment without FRISTER_*/SLACK_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUTF8"] = "1"
    env.update(settings)
    return env


def run(cwd: Path, *args: str, stdin: str = "", **settings: str) -> subprocess.CompletedProcess:
    """Run `frister ARGS` in `cwd` with only the given FRISTER_*/SLACK_* settings."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=_env(settings),
        timeout=120,
    )


def run_code(cwd: Path, code: str, **settings: str) -> subprocess.CompletedProcess:
    """Run Python `code` as `run` runs `frister`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=_env(settings),
        timeout=120,
    )


def run_all(*calls: tuple[Path, list[str], str, dict[str, str]]) -> list:
    """Several independent `run` calls at once (each is mostly interpreter start-up)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [
            pool.submit(run, cwd, *args, stdin=stdin, **settings)
            for cwd, args, stdin, settings in calls
        ]
        return [future.result() for future in futures]


def db_url(folder: Path, name: str = "f.db") -> str:
    return f"sqlite+aiosqlite:///{folder / name}"


def one_line(stream: str) -> str:
    """The only line of `stream` (fails if there are more or none)."""
    lines = stream.splitlines()
    assert len(lines) == 1, stream
    return lines[0]


# ---- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "trigger", "last_day", "moved_from"),
    [
        ("forhandsbedomning", "2026-06-12", "2026-06-26", None),
        ("utredning", "2025-10-31", "2026-03-02", "lördag 28 februari 2026"),
        ("forhandsbedomning", "2026-12-17", "2027-01-04", "nyårsafton"),
    ],
)
def test_due(tmp_path, rule, trigger, last_day, moved_from):
    result = run(tmp_path, "rules", "due", rule, trigger)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    first, *rest = result.stdout.splitlines()
    assert first == last_day
    moved = [line for line in rest if line.startswith("Flyttad från")]
    if moved_from is None:
        assert moved == []
    else:
        assert len(moved) == 1 and moved_from in moved[0]


def test_due_unknown_rule(tmp_path):
    result = run(tmp_path, "rules", "due", "forhandsbedomnig", "2026-06-12")
    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("Okänd regel")
    assert "Menade du forhandsbedomning?" in line


@pytest.mark.parametrize("text", ["2026-02-30", "igår", "2026-13-01"])
def test_due_bad_date(tmp_path, text):
    result = run(tmp_path, "rules", "due", "forhandsbedomning", text)
    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("Ogiltigt datum")
    assert "ÅÅÅÅ-MM-DD" in line


def test_rules_list(tmp_path):
    result = run(tmp_path, "rules", "list")
    assert result.returncode == 0, result.stderr
    rule_lines = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    ids = [line.split()[0] for line in rule_lines]
    assert len(ids) == len(set(ids)) == len(load_rule_pack().rules)
    assert set(ids) == set(load_rule_pack().rules)
    assert all("§" in line for line in rule_lines)  # every rule with its legal reference
    assert "forhandsbedomning" in result.stdout
    assert "20 kap. 2 § SoL (2025:400)" in result.stdout
    assert "tidigare 11 kap. 1 a § andra stycket SoL (2001:453)" in result.stdout
    assert "8 § LVU (1990:52)" in result.stdout


GOOD_PACK = """\
pack = "lokal"
version = "1"

[[rule]]
id = "lokal-uppfoljning"
name = "Lokal uppföljning"
trigger = "anmalan_inkom"
length = "3w"
closes_on = ["utredning_inledd"]
legal = { new = "Lokal riktlinje 3 §" }
remind = ["-1d", "0d"]
"""


def test_rules_check_good(tmp_path):
    (tmp_path / "lokal.toml").write_text(GOOD_PACK, encoding="utf-8")
    result = run(tmp_path, "rules", "check", "lokal.toml")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "lokal.toml: OK" in result.stdout


def test_rules_check_bad(tmp_path):
    bad = GOOD_PACK.replace('length = "3w"', 'length = "3x"')  # line 8
    (tmp_path / "lokal.toml").write_text(bad, encoding="utf-8")
    result = run(tmp_path, "rules", "check", "lokal.toml")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines
    assert all(re.match(r"^lokal\.toml:\d+: ", line) for line in lines), lines
    assert any(line.startswith("lokal.toml:8: ") and "längd" in line for line in lines)
    assert "OK" not in result.stdout


# ---- screen ----------------------------------------------------------------------------------


def test_screen_clean(tmp_path):
    text = "Möte om ärende K7QM-3XTP i morgon.\nDnr IFO 2026-12, ring 08-123 45 67.\n"
    result = run(tmp_path, "screen", stdin=text)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_screen_finds_personnummer(tmp_path):
    second = f"Barnet {PNR} bor hos pappa 121212+1212."
    text = "Hej!\n" + second + "\n"
    result = run(tmp_path, "screen", stdin=text)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"Rad 2, position {second.index(PNR) + 1}: personnummer.",
        f"Rad 2, position {second.index('121212+') + 1}: personnummer.",
    ]
    for digits in ("1212", "191212", "121212"):
        assert digits not in result.stdout + result.stderr


# ---- pseudonym -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pseudonyms(tmp_path_factory):
    """`pseudonym REF`, the same with another key, and `pseudonym -` with many references."""
    folder = tmp_path_factory.mktemp("pseudonym")
    stdin = f"IFO2026-12\n\nIFO 2026-13\n{PNR}\nIFO 2026-14\n"
    single, other, many = run_all(
        (folder, ["pseudonym", "ifo 2026-12"], "", {"FRISTER_PSEUDONYM_KEY": KEY}),
        (folder, ["pseudonym", "ifo 2026-12"], "", {"FRISTER_PSEUDONYM_KEY": OTHER_KEY}),
        (folder, ["pseudonym", "-"], stdin, {"FRISTER_PSEUDONYM_KEY": KEY}),
    )
    return SimpleNamespace(single=single, other=other, many=many)


def test_pseudonym(pseudonyms):
    result = pseudonyms.single
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    code = one_line(result.stdout)
    assert CODE.fullmatch(code)
    assert code == Pseudonymiser(KEY).code("IFO2026-12")


def test_pseudonym_other_key(pseudonyms):
    assert pseudonyms.other.returncode == 0, pseudonyms.other.stderr
    code = one_line(pseudonyms.other.stdout)
    assert CODE.fullmatch(code)
    assert code != one_line(pseudonyms.single.stdout)


def test_pseudonym_stdin(pseudonyms):
    codes = pseudonyms.many.stdout.splitlines()  # the empty line is skipped, line 4 refused
    assert len(codes) == 3
    assert all(CODE.fullmatch(code) for code in codes)
    assert codes[0] == one_line(pseudonyms.single.stdout)  # `IFO2026-12` == `ifo 2026-12`
    assert len(set(codes)) == 3


def test_pseudonym_refuses_personnummer(pseudonyms):
    result = pseudonyms.many
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("Referens 4 ")
    assert "personnummer" in line and "avvisas" in line
    assert "1212" not in result.stdout + result.stderr


def test_pseudonym_without_key(tmp_path):
    result = run(tmp_path, "pseudonym", "IFO 2026-12")
    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "FRISTER_PSEUDONYM_KEY" in line
    assert line.startswith("Inställningen") and "saknas" in line


# ---- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FRISTER_TIMEZONE", "Europe/Stokholm"),
        ("FRISTER_DATABASE_URL", "mysql://x"),
        ("FRISTER_PSEUDONYM_KEY", "kort-nyckel"),
    ],
)
def test_bad_setting(tmp_path, name, value):
    result = run(tmp_path, "rules", "list", **{name: value})
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"Inställningen {name} är ogiltig: ")
    if name == "FRISTER_PSEUDONYM_KEY":
        assert value not in line  # a secret, even a bad one, is never echoed


# ---- import ----------------------------------------------------------------------------------


# The enheter the files below name; no staff register is imported first.
NEW_UNITS = ("--new-enhet", "Barn och unga Nord", "--new-enhet", "Barn och unga Syd")


def _csv(today: date) -> tuple[str, str]:
    """A good file with three rows and the same file with a bad fourth row (line 5)."""
    days = [(today - timedelta(days=n)).isoformat() for n in (40, 60, 90)]
    good = (
        "arende;enhet;handlaggare;handelse;datum\n"
        f"IFO 2026-101;Barn och unga Nord;U0AAA0001;anmalan_inkom;{days[0]}\n"
        f"IFO 2026-102;Barn och unga Nord;anna@kommun.example;Utredning inledd;{days[1]}\n"
        f"IFO 2026-103;Barn och unga Syd;U0AAA0002;anmalan_inkom;{days[2]}\n"
    )
    bad = good + f"IFO 2026-104;Barn och unga Syd;U0AAA0002;anmalan_inkommen;{days[0]}\n"
    return good, bad


@pytest.fixture(scope="module")
def imports(tmp_path_factory):
    """bad file, good file, good file again on one database; bad file --skip-bad on another."""
    folder = tmp_path_factory.mktemp("import")
    good, bad = _csv(date.today())
    (folder / "good.csv").write_text(good, encoding="utf-8")
    (folder / "bad.csv").write_text(bad, encoding="utf-8")
    first_db = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(folder, "a.db")}
    other_db = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(folder, "b.db")}
    with ThreadPoolExecutor(max_workers=1) as pool:  # the other database, meanwhile
        skip = pool.submit(run, folder, "import", "bad.csv", "--skip-bad", *NEW_UNITS, **other_db)
        bad = run(folder, "import", "bad.csv", *NEW_UNITS, **first_db)
        first = run(folder, "import", "good.csv", *NEW_UNITS, **first_db)
        again = run(folder, "import", "good.csv", **first_db)  # the enheter exist now
        loaded = run_code(folder, LOADED_BY_IMPORT, **first_db)  # and once more, in process
        return SimpleNamespace(bad=bad, first=first, again=again, skip=skip.result(), loaded=loaded)


# `frister import good.csv`, then the modules it loaded (of those an import needs none of).
LOADED_BY_IMPORT = """
import sys
from bot.cli import main

status = main(["import", "good.csv"])
heavy = ("alembic", "slack_bolt", "slack_sdk", "aiohttp", "matplotlib", "microsoft_agents",
         "handlers", "bot.chat", "bot.services.delivery", "bot.services.planner")
print(status, sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + ".")}))
"""


def test_import(imports):
    result = imports.first
    assert result.returncode == 0, result.stderr
    summary = one_line(result.stdout)
    assert summary.startswith("Lästa rader: 3, importerade: 3. Nya ärenden: 3. Nya händelser: 3")


def test_import_twice(imports):
    result = imports.again
    assert result.returncode == 0, result.stderr
    summary = one_line(result.stdout)
    assert "Nya ärenden: 0. Nya händelser: 0 (redan registrerade: 3)" in summary
    assert "Nya frister: 0, ändrade: 0." in summary


def test_import_loads_only_what_it_needs(imports):
    """No chat, Slack, Teams or charts; no migration scripts when the schema is current."""
    result = imports.loaded
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"


def test_import_bad_row_imports_nothing(imports):
    result = imports.bad
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("rad ")]
    assert len(errors) == 1
    assert errors[0].startswith("rad 5: ") and "anmalan_inkommen" in errors[0]
    assert "Ingenting importerades." in lines
    # the clean import that followed on the same database found every row new
    assert "Nya händelser: 3 (redan registrerade: 0)" in imports.first.stdout


def test_import_skip_bad(imports):
    result = imports.skip
    assert result.returncode == 0, result.stderr
    assert "Lästa rader: 4, importerade: 3. Nya ärenden: 3. Nya händelser: 3" in result.stdout
    assert any(line.startswith("rad 5: ") for line in result.stderr.splitlines())
    assert "De hoppades över." in result.stderr


def test_import_progress_on_stderr(imports):
    result = imports.first
    assert "Rader" in result.stderr and "%|" in result.stderr
    assert "Rader" not in result.stdout and "%|" not in result.stdout
    assert "\r" not in result.stdout


def test_import_progress_completes(imports):
    """The row bar counts data rows: after three rows of three it shows 100 %."""
    segments = re.split(r"[\r\n]", imports.first.stderr)
    last = [segment for segment in segments if segment.startswith("Rader")][-1]
    assert "100%" in last and "3/3" in last, last


# ---- db, demo, help --------------------------------------------------------------------------


def test_db_upgrade_then_current(tmp_path):
    settings = {"FRISTER_DATABASE_URL": db_url(tmp_path)}
    upgraded = run(tmp_path, "db", "upgrade", **settings)
    assert upgraded.returncode == 0, upgraded.stderr
    match = re.fullmatch(r"Databasen har schemaversion (\S+)\.", one_line(upgraded.stdout))
    assert match
    version = match[1]
    assert version == head_revision()
    current = run(tmp_path, "db", "current", **settings)
    assert current.returncode == 0, current.stderr
    assert one_line(current.stdout) == f"Schemaversion {version} (senaste {version})."


def test_demo(tmp_path):
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "60 simulerade dagar" in result.stdout
    assert "Påminnelse: Förhandsbedömning" in result.stdout
    assert "Försenad: " in result.stdout  # an escalation of an overdue deadline
    assert "DM till Dan (enhetschef Nord)" in result.stdout
    assert "kunde inte levereras" in result.stdout  # a failure shown to a person
    assert "ersättare" in result.stdout
    assert CODE.search(result.stdout)
    assert "DEMO-" not in result.stdout  # references are pseudonymised
    assert not (tmp_path / "frister.db").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["--help"], ["rules", "--help"]])
def test_help_in_swedish(tmp_path, args):
    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("användning: frister")
    assert "visa den här hjälpen och avsluta" in result.stdout
    assert "usage" not in result.stdout and "show this help" not in result.stdout


def test_no_command(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("användning: frister")
    assert "frister: fel: " in result.stderr


# ---- audit -----------------------------------------------------------------------------------


def test_audit_verify_against_a_recorded_head(tmp_path):
    """Deleting the newest audit rows leaves a valid chain; only the recorded head shows it."""
    import sqlite3

    good, _bad = _csv(date.today())
    (tmp_path / "good.csv").write_text(good, encoding="utf-8")
    db = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(tmp_path)}
    assert run(tmp_path, "import", "good.csv", *NEW_UNITS, **db).returncode == 0
    head = run(tmp_path, "audit", "head", **db)
    kept = one_line(head.stdout)
    (tmp_path / "heads.log").write_text(f"{kept}\n\n", encoding="utf-8")
    with_file = {**db, "FRISTER_AUDIT_HEAD_FILE": str(tmp_path / "heads.log")}
    intact, intact_file = run_all(
        (tmp_path, ["audit", "verify", "--head", kept.split()[1]], "", db),
        (tmp_path, ["audit", "verify"], "", with_file),
    )
    assert intact.returncode == 0, intact.stderr
    assert intact_file.returncode == 0, intact_file.stderr
    assert one_line(intact.stdout).startswith("Spårloggen är hel:")

    with sqlite3.connect(tmp_path / "f.db") as connection:
        connection.execute("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    plain, cut, cut_file = run_all(
        (tmp_path, ["audit", "verify"], "", db),
        (tmp_path, ["audit", "verify", "--head", kept], "", db),
        (tmp_path, ["audit", "verify"], "", with_file),
    )
    assert plain.returncode == 0, plain.stderr  # the chain alone cannot tell
    for result in (cut, cut_file):
        assert result.returncode == 1
        assert result.stdout == ""
        assert one_line(result.stderr).startswith(
            "Spårloggen når inte längre den sparade hashen: rader har tagits bort"
        )


def test_audit_verify_refuses_a_bad_head(tmp_path):
    db = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(tmp_path)}
    result = run(tmp_path, "audit", "verify", "--head", "nonsense", **db)
    assert result.returncode == 2
    assert "innehåller ingen sparad hash" in one_line(result.stderr)
