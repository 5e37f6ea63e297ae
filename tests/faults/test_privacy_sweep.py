"""The privacy sweep: raw case references and personnummer-shaped identifiers go in through
`frister import` and through `/frister` in chat (signed requests to a running `frister serve`
at DEBUG); afterwards none of them is in any table, any log line, or any call the Slack
stand-in recorded (Web API calls, posts, answers to response_urls)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

from sqlalchemy import text

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import clean_env, eventually, shim_env
from bot.testing.identifiers import personnummer, with_wrong_check_digit
from bot.testing.slack_requests import SlackSender
from tests.conftest import TEST_KEY
from tests.factories import add_person
from tests.faults.serving import START, bench, port_of

USER, ENHET = "U0SWEEP01", "Barn och unga Nord"
PNR = personnummer("121212", serial="121", century="19")  # 19121212-1212
IDENTIFIERS = [
    PNR,
    "1912 12 12 - 1212",
    "121212 - 1212",
    "19121212 - 1212",
    "121212-12 12",
    with_wrong_check_digit("201701022384"),  # 12 digits, a birth date, Luhn fails
]
REFERENCES = [f"IFO 2026-47{n:02d}" for n in range(11, 18)]
HEADER = "arende;enhet;handlaggare;handelse;datum\n"
ROWS = [  # two good rows with raw references; the others carry an identifier somewhere
    f"{REFERENCES[0]};{ENHET};{USER};anmalan_inkom;2026-11-20",
    f"{REFERENCES[1]};{ENHET};{USER};utredning_inledd;2026-11-02",
    f"{PNR};{ENHET};{USER};anmalan_inkom;2026-11-20",
    f"{REFERENCES[2]};{IDENTIFIERS[1]};{USER};anmalan_inkom;2026-11-20",
    f"{REFERENCES[3]};{ENHET};{IDENTIFIERS[2]};anmalan_inkom;2026-11-20",
    f"{REFERENCES[4]};{ENHET};{USER};utredning_inledd {IDENTIFIERS[3]};2026-11-20",
    f"{REFERENCES[5]};{IDENTIFIERS[5]};{USER};anmalan_inkom;2026-11-20",
    f"{REFERENCES[6]};{ENHET};{USER};anmalan_inkom;2026-11-20 {IDENTIFIERS[4]}",
]
COMMANDS = [
    f"ärende {REFERENCES[0]}",
    PNR,
    f"ny {REFERENCES[1]} utredning_inledd {IDENTIFIERS[1]}",
    f"klar {IDENTIFIERS[2]}",
    f"ärende {IDENTIFIERS[3]}",
    f"frånvaro {IDENTIFIERS[4]}",
    f"hjälp {IDENTIFIERS[5]} {REFERENCES[2]}",
]


def needles() -> list[str]:
    """Each value as written, and each identifier's digits alone."""
    digits = ["".join(c for c in value if c.isdigit()) for value in IDENTIFIERS]
    return REFERENCES + IDENTIFIERS + digits


def found_in(haystack: str) -> list[str]:
    flat = re.sub(r"\s+", " ", haystack)
    return [n for n in needles() if n in haystack or n in flat]


async def tables(engine) -> dict[str, str]:
    """Every row of every table, as text."""
    dump: dict[str, str] = {}
    async with engine.connect() as connection:
        names = (
            await connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        ).scalars()
        for name in list(names):
            rows = (await connection.execute(text(f'SELECT * FROM "{name}"'))).all()
            dump[name] = "\n".join(repr(tuple(row)) for row in rows)
    return dump


async def test_privacy_sweep(tmp_path):
    async def settled() -> bool:
        rows = await b.rows()
        return bool(rows) and not {r.state for r in rows} & {"pending", "sending"}

    url = f"sqlite+aiosqlite:///{tmp_path / 'sweep.db'}"
    clock = ShiftedClock(START)
    async with bench(url, tmp_path) as b:
        await add_person(b.engine, USER, "handlaggare", ENHET)
        b.slack.add_user(USER)
        (tmp_path / "cases.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
        env = clean_env(FRISTER_DATABASE_URL=url, FRISTER_PSEUDONYM_KEY=TEST_KEY)
        env["FRISTER_LOG_LEVEL"] = "DEBUG"
        env.update(shim_env(tmp_path / "shim", clock, env["PYTHONPATH"]))
        imported = subprocess.run(
            [sys.executable, "-m", "bot.cli", "import", "cases.csv", "--skip-bad"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )
        assert "Traceback" not in imported.stderr, imported.stderr

        serve = b.launch(clock, FRISTER_LOG_LEVEL="DEBUG")
        await eventually(lambda: serve.count("Frister is running"), "serve running", serve)
        port = port_of(serve)
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", "fault-secret", b.slack)
        acks = []
        try:
            for command in COMMANDS:
                acks.append(await sender.command(USER, command))
        finally:
            await sender.close()
        await eventually(
            lambda: len(b.slack.responses) >= len(COMMANDS), "an answer to each command", serve
        )
        await eventually(settled, "the imported cases' reminders delivered", serve)
        assert await serve.stop(signal.SIGTERM) == 0

        stored = await tables(b.engine)
        places = {f"table {name}": dump for name, dump in stored.items()}
        places["import output"] = imported.stdout + imported.stderr
        places["serve log (DEBUG)"] = serve.log
        places["acks"] = "\n".join(body for _status, body in acks)
        places["Slack calls"] = "\n".join(
            json.dumps(c.params, ensure_ascii=False) for c in b.slack.calls
        )
        places["answers"] = "\n".join(
            json.dumps(r.payload, ensure_ascii=False) for r in b.slack.responses
        )
        leaks = {place: hits for place, text_ in places.items() if (hits := found_in(text_))}
        checked = sum(len(t.splitlines()) for t in places.values())
        print(
            f"privacy sweep: {len(needles())} values in {len(places)} places "
            f"({checked} lines, {len(b.slack.calls)} Slack calls, "
            f"{len(serve.lines)} log lines): {sum(map(len, leaks.values()))} found"
        )
        assert leaks == {}
        inputs = HEADER + "\n".join(ROWS) + "\n".join(COMMANDS)
        assert set(found_in(inputs)) >= set(REFERENCES + IDENTIFIERS)  # the sweep can see them
        assert "DEBUG" in serve.log and "aiosqlite: executing" not in serve.log  # no parameters
        states = sorted(r.state for r in await b.rows())
        print(f"  outbox: {states}, {len(b.slack.posts)} posts")
        assert len(b.slack.posts) >= 1  # the good rows were imported and reminded about
