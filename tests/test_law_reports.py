"""The egenkontroll report covers the LVU measures beside the SoL ones (issue 11)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from bot.bootstrap import App
from bot.services.report_chart import to_png
from bot.services.report_formats import to_csv, to_markdown
from bot.services.reports import build_report, trend
from tests.factories import import_rows

JUNE = date(2026, 6, 1)
TODAY = date(2026, 7, 20)

# (reference, event, day): every LVU deadline below falls due in June 2026.
LVU_ROWS = [
    # 7 § LVU: Mon 1 Jun + 1 week = Mon 8 Jun; underställt Fri 5 Jun: kept.
    ("LVU 1", "lvu_omedelbart_omhandertagande", date(2026, 6, 1)),
    ("LVU 1", "lvu_understallning_gjord", date(2026, 6, 5)),
    # 31 e § LVU: Wed 3 Jun + 1 week = Wed 10 Jun; underställt Fri 12 Jun: late.
    ("LVU 2", "lvu_tillfalligt_utreseforbud", date(2026, 6, 3)),
    ("LVU 2", "lvu_tillfalligt_utreseforbud_understallt", date(2026, 6, 12)),
    # 28 § with 7 § LVU: Wed 10 Jun + 1 week = Wed 17 Jun; never underställt: open, overdue.
    ("LVU 3", "lvu_tillfalligt_flyttningsforbud", date(2026, 6, 10)),
    # 8 § LVU: verkställt Mon 11 May + 4 weeks = Mon 8 Jun; ansökan Fri 5 Jun: kept.
    ("LVU 4", "lvu_omhandertagande_verkstallt", date(2026, 5, 11)),
    ("LVU 4", "lvu_ansokan_inlamnad", date(2026, 6, 5)),
    # 29 § LVU: fastställt Mon 1 Jun + 2 weeks = Mon 15 Jun; ansökan Tue 16 Jun: late.
    ("LVU 5", "lvu_tillfalligt_flyttningsforbud_faststallt", date(2026, 6, 1)),
    ("LVU 5", "lvu_flyttningsforbud_ansokan", date(2026, 6, 16)),
]


async def june_report(settings, engine, clock):
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    await import_rows(app, *((ref, "Nord", "U0HANDL01", ev, day) for ref, ev, day in LVU_ROWS))
    async with app.unit_of_work() as uow:
        rows = await uow.reports.report_rows("Nord")
    return rows, build_report("Nord", rows, JUNE, TODAY)


async def test_lvu_groups(settings, engine, clock):
    """7 § LVU ("underställas förvaltningsrätten inom en vecka från den dag då beslutet
    fattades"), with 28 § and 31 e §; 8 § ("inom fyra veckor från den dag då
    omhändertagandet verkställdes"), with 29 § (two weeks) and 31 f § (four weeks)."""
    _rows, report = await june_report(settings, engine, clock)
    under = report.groups["lvu_understallning"]
    assert (under.due, under.kept, under.late, under.open_overdue) == (3, 1, 1, 1)
    ansokan = report.groups["lvu_ansokan"]
    # 31 f §: the application after the tillfälliga utreseförbud of 3 Jun is due 1 Jul (July).
    assert (ansokan.due, ansokan.kept, ansokan.late, ansokan.open_overdue) == (2, 1, 1, 0)
    assert report.groups["forhandsbedomning"].due == 0  # the SoL groups stay beside them


async def test_lvu_groups_in_every_format(settings, engine, clock, tmp_path):
    """The Swedish group names in the csv and markdown report, and the png trend."""
    rows, report = await june_report(settings, engine, clock)
    table = list(csv.reader(io.StringIO(to_csv([report])), delimiter=";"))
    assert [
        "Nord",
        "2026-06",
        "Underställningar enligt LVU inom en vecka",
        "3",
        "1",
        "0",
        "1",
        "1",
        "33,3",
    ] in table
    assert [
        "Nord",
        "2026-06",
        "Ansökningar till förvaltningsrätten enligt LVU i tid",
        "2",
        "1",
        "0",
        "1",
        "0",
        "50",
    ] in table
    markdown = to_markdown(report)
    assert "| Underställningar enligt LVU inom en vecka | 3 | 1 | 0 | 1 | 1 | 33 % |" in markdown
    assert "| Förhandsbedömningar inom 14 dagar | 0 | 0 | 0 | 0 | 0 | – |" in markdown
    path = tmp_path / "trend.png"
    to_png(trend("Nord", rows, JUNE, TODAY), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
