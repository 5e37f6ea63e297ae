"""`frister demo --platform teams`: the simulated days against the local Teams stand-in, the cards
printed as Teams shows them, typed commands through the real Teams app, and the prompt."""

from __future__ import annotations

import io
import re

from bot.demo import run_demo
from bot.testing.card_text import Buttons, activity_lines, card_lines
from tests.test_cli import CODE, run

BUTTONS = "[Klar] [Påminn i morgon] [Begär förlängning] [Visa ärende]"
PERSONNUMMER = re.compile(r"\b(?:19|20)?\d{6}[-+]?\d{4}\b")


def test_demo_on_teams(tmp_path):
    result = run(tmp_path, "demo", "--platform", "teams")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "mot en inbyggd lokal Teams-ersättare" in out
    assert "· chatt med Anna (handläggare)\n   Påminnelse: " in out
    assert BUTTONS in out  # a reminder card's buttons, in Swedish
    assert "[Klar] [Jag har koll] [Begär förlängning] [Visa ärende] [Omfördela]" in out
    assert "· chatt med Dan (enhetschef Nord)\n   Försenad: " in out  # an escalation
    assert "· i Socialtjänsten › Frister drift\n   En påminnelse kunde inte levereras" in out
    # Hugo left: Teams refuses, visibly and in Swedish, and his reminders go to his chef
    assert ": personen har inte Frister installerat, eller har blockerat det." in out
    assert "går nu till Filip (enhetschef Syd)." in out
    assert "bot_not_in_conversation_roster" not in out
    assert "ersättare medan handläggaren är frånvarande" in out
    assert "Chatten: det här ser Anna och Dan i Teams." in out
    for typed in (
        "Anna (handläggare) skriver i chatten med Frister: mina",
        "Dan (enhetschef Nord) skriver i chatten med Frister: försenade",
    ):
        assert typed + "\n── Frister svarar " in out
    asked = re.search(r"skriver i chatten med Frister: ärende (\S+)\n── Frister svarar Anna", out)
    assert asked and CODE.fullmatch(asked[1])
    assert f"   Ärende {asked[1]}\n" in out  # the answer, through the real Teams app
    assert "DEMO-" not in out and "U0DEMO" not in out
    assert not PERSONNUMMER.search(out)
    assert "Traceback" not in out + result.stderr
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_frister_platform_teams_chooses_teams(tmp_path):
    result = run(tmp_path, "demo", FRISTER_PLATFORM="teams")
    assert result.returncode == 0, result.stderr
    assert "Teams-ersättare" in result.stdout and BUTTONS in result.stdout
    assert "DM till" not in result.stdout


def test_unknown_platform(tmp_path):
    result = run(tmp_path, "demo", "--platform", "discord")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "Okänd plattform discord: välj slack eller teams.\n"


def test_prompt_on_teams(settings):
    out = io.StringIO()
    lines = iter(
        [
            "hjälp",
            "ny",
            "tryck 1",  # opens the dialog
            "1",  # Anmälan inkom
            "",  # today
            "",  # no code …
            "j",  # … a new case
            "",  # no decision level
            "ärende {new}",
            "tryck 1",  # Klar on the case's first open deadline
            "som dan",
            "tryck 9",
            "sluta",
        ]
    )

    async def ask(prompt: str) -> str | None:
        line = next(lines, None)
        if line is not None and "{new}" in line:
            found = re.search(r"Ny ärendekod: (\S+)\.", out.getvalue())
            line = line.format(new=found[1] if found else "")
        out.write(prompt + (line or "") + "\n")
        return line

    code = run_demo(settings, days=2, out=out, interactive=True, ask=ask, platform="teams")
    assert code == 0
    text = out.getvalue()
    assert "Nu är det din tur. Du är Anna (handläggare). Skriv till Frister som i Teams" in text
    assert "anna> hjälp\n── Frister svarar Anna i chatten\n" in text
    assert "── Formulär: Registrera händelse" in text
    new = re.search(r"Ny ärendekod: (\S+)\.", text)
    assert new and CODE.fullmatch(new[1])
    assert f"anna> ärende {new[1]}\n── Frister svarar Anna i chatten\n   Ärende {new[1]}" in text
    assert "   Anna (handläggare) trycker på [Klar: " in text
    assert "── Teams byter ut kortet mot:\n" in text  # the pressed card is replaced
    assert "Nu är du Dan (enhetschef Nord)." in text
    assert "Det finns ingen knapp 9." in text
    assert "DEMO-" not in text


def test_card_text():
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Påminnelse: **Förhandsbedömning**", "weight": "Bolder"},
            {"type": "FactSet", "facts": [{"title": "Ärende", "value": "K7QM-3XTP"}]},
            {"type": "TextBlock", "text": "Första stycket\n\nandra \u2217stjärnan\u2217"},
            {
                "type": "Input.ChoiceSet",
                "id": "e",
                "label": "Händelse",
                "choices": [{"title": "Anmälan inkom", "value": "anmalan_inkom"}],
            },
        ],
        "actions": [
            {"type": "Action.Execute", "title": "Klar", "verb": "frist_klar", "data": {}},
            {"type": "Action.Execute", "title": "Påminn i morgon", "verb": "snooze", "data": {}},
        ],
    }
    assert card_lines(card) == [
        "   Påminnelse: Förhandsbedömning",
        "   Ärende: K7QM-3XTP",
        "   Första stycket",
        "   andra *stjärnan*",
        "   ▸ Händelse",
        "      1. Anmälan inkom",
        "   [Klar] [Påminn i morgon]",
    ]
    buttons = Buttons()
    activity = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    assert activity_lines(activity, buttons)[-1] == "   [1: Klar] [2: Påminn i morgon]"
    assert [b.action["verb"] for b in buttons.found] == ["frist_klar", "snooze"]
