""" "Visa ärende" shows, under each deadline, the words (or the summary) of its paragraph."""

from __future__ import annotations

from tests.test_chat import (  # noqa: F401 - the fixtures of the chat tests
    ANNA,
    IFO1,
    app,
    clock,
    last,
    sender,
    server,
    slack,
    world,
)


async def test_case_view_shows_the_paragraph(sender, slack):  # noqa: F811
    """20 kap. 1 § SoL (2025:400): the skyddsbedömning "genast"; the case view keeps the
    reference and, on the next line, the paragraph's summary so it can be checked at once."""
    await sender.command(ANNA, f"ärende {IFO1}")
    lines = last(slack).splitlines()
    at = next(n for n, line in enumerate(lines) if "Skyddsbedömning: senast" in line)
    assert "20 kap. 1 § SoL (2025:400)" in lines[at]
    assert lines[at + 1].startswith("Sammanfattning: När en anmälan om ett barn har kommit in")
    assert len(lines[at + 1]) <= 160
