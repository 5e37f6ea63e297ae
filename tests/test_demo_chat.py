"""`frister demo`'s chat: the scripted part always, and a person typing at the prompt (the
commands, a button, a modal filled in line by line, another person, the home tab)."""

from __future__ import annotations

import io
import re

from bot.demo import run_demo

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def demo(settings, lines: list[str] | None) -> str:
    out = io.StringIO()
    typed = iter(lines or [])

    async def ask(prompt: str) -> str | None:
        line = next(typed, None)
        out.write(prompt + (line or "") + "\n")
        return line

    assert run_demo(settings, days=2, out=out, interactive=lines is not None, ask=ask) == 0
    return out.getvalue()


def test_scripted(settings):
    text = demo(settings, None)
    assert "Chatten: det här ser Anna och Dan i Slack." in text
    answer = "Anna (handläggare) skriver: /frister\n── Frister svarar Anna (bara Anna ser det)"
    assert answer in text
    assert "Teamöversikt, Barn och unga Nord" in text and "@Anna: öppna" in text
    assert "── Hemfliken för Anna (handläggare)" in text
    assert "Nu är det din tur" not in text


def test_prompt(settings):
    text = demo(
        settings,
        [
            "/frister hjälp",
            "ny",
            "1",  # Anmälan inkom
            "",  # today
            "",  # no code …
            "j",  # … a new case
            "",  # no decision level
            "som dan",
            "team",
            "tryck 9",
            "hem",
            "vad är det här",
            "sluta",
        ],
    )
    assert "Nu är det din tur. Du är Anna (handläggare)." in text
    help_text = "anna> /frister hjälp\n── Frister svarar Anna (bara Anna ser det)\n   Fristers"
    assert help_text in text
    assert "── Formulär: Registrera händelse" in text
    new = re.search(r"Ny ärendekod: \*(\S+)\*", text)
    assert new and CODE.fullmatch(new[1])
    assert f"`{new[1]}` Förhandsbedömning" in text
    assert "Nu är du Dan (enhetschef Nord)." in text
    assert "Det finns ingen knapp 9." in text
    assert "── Hemfliken för Dan (enhetschef Nord)" in text
    assert "Jag förstod inte ”vad”." in text
    assert "DEMO-" not in text


def test_names_and_one_notice(settings):
    out = io.StringIO()
    assert run_demo(settings, days=10, out=out, interactive=False) == 0
    text = out.getvalue()
    assert "U0DEMO" not in text and "C0DEMO" not in text  # people and channels by name
    assert text.count("En påminnelse kunde inte levereras") == 1  # one problem, one notice
    assert "till @Hugo: kontot är inaktiverat." in text
    assert "Påminnelserna till @Hugo går nu till @Filip." in text
