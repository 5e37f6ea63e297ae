"""Ej verkställda beslut, 34 kap. 1–3 §§ SoL (2025:400): the rules and the quarterly report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from bot.bootstrap import App
from bot.domain.calendar import swedish_calendar
from bot.domain.deadlines import CaseEvent, Status, derive_deadlines
from bot.domain.rules import load_rule_pack
from bot.services.ej_verkstallda import (
    RULES,
    build_quarter_report,
    parse_quarter,
    quarter_csv,
    quarter_markdown,
)
from tests.factories import HEADER, import_rows
from tests.test_cli import KEY, db_url, one_line, run, run_all

# (reference, event, day) for the first quarter of 2026 (reporting day Tue 31 Mar 2026).
ROWS = [
    # 11 kap. 1 §, decided Mon 10 Nov 2025, never carried out: three months end 10 Feb 2026.
    ("BIST 1", "beslut_bistand_fattat", date(2025, 11, 10)),
    # 12 kap. 1 §, decided 1 Oct 2025 (three months: 1 Jan 2026), carried out 15 Feb 2026.
    ("BIST 2", "beslut_12_1_fattat", date(2025, 10, 1)),
    ("BIST 2", "beslut_verkstallt", date(2026, 2, 15)),
    # Decided 5 Jan 2026: its three months end 5 Apr, after the quarter.
    ("BIST 3", "beslut_bistand_fattat", date(2026, 1, 5)),
    # Carried out, interrupted 1 Dec 2025 and not resumed (three months: 1 Mar 2026).
    ("BIST 4", "beslut_bistand_fattat", date(2025, 9, 1)),
    ("BIST 4", "beslut_verkstallt", date(2025, 10, 1)),
    ("BIST 4", "verkstallighet_avbruten", date(2025, 12, 1)),
    # Late, but carried out in the quarter before: reported then, not now.
    ("BIST 5", "beslut_bistand_fattat", date(2025, 6, 2)),
    ("BIST 5", "beslut_verkstallt", date(2025, 12, 1)),
    # Carried out within three months: never reported.
    ("BIST 6", "beslut_bistand_fattat", date(2025, 12, 1)),
    ("BIST 6", "beslut_verkstallt", date(2026, 2, 20)),
]


def test_three_months_from_the_decision_and_from_the_interruption():
    """34 kap. 1 § SoL: a favourable decision under 11 kap. 1 § or 12 kap. 1 § "som inte har
    verkställts inom tre månader från dagen för beslutet" is reported to IVO; so is one whose
    verkställighet was interrupted and not resumed within three months of the interruption."""
    pack = load_rule_pack()
    events = [
        CaseEvent(1, "beslut_bistand_fattat", date(2025, 9, 1)),
        CaseEvent(2, "beslut_verkstallt", date(2025, 10, 1)),
        CaseEvent(3, "verkstallighet_avbruten", date(2025, 12, 1)),
        CaseEvent(4, "verkstallighet_aterupptagen", date(2026, 1, 15)),
        CaseEvent(5, "verkstallighet_avbruten", date(2026, 2, 2)),
    ]
    found = {
        (d.rule_id, d.trigger_date): d
        for d in derive_deadlines(events, pack, swedish_calendar())
        if d.rule_id in RULES
    }
    first = found[("ej-verkstallt-beslut", date(2025, 9, 1))]
    assert (first.last_day, first.status) == (date(2025, 12, 1), Status.DONE)
    resumed = found[("ej-aterupptaget-beslut", date(2025, 12, 1))]
    assert (resumed.last_day, resumed.status) == (date(2026, 3, 1), Status.DONE)
    # A second interruption runs three months of its own; the three months are not moved
    # off a Sunday (a fact for the report, not a day to act by): Sat 2 May 2026.
    again = found[("ej-aterupptaget-beslut", date(2026, 2, 2))]
    assert (again.last_day, again.status) == (date(2026, 5, 2), Status.OPEN)
    assert "34 kap. 1–3 §§ SoL (2025:400)" in pack.rule("ej-verkstallt-beslut").legal.new


def test_an_interruption_before_any_verkstallighet_gives_no_deadline():
    """34 kap. 1 § SoL: only a decision that was carried out can be interrupted."""
    events = [
        CaseEvent(1, "beslut_bistand_fattat", date(2026, 1, 5)),
        CaseEvent(2, "verkstallighet_avbruten", date(2026, 2, 2)),
    ]
    derived = derive_deadlines(events, load_rule_pack(), swedish_calendar())
    assert {d.rule_id for d in derived} == {"ej-verkstallt-beslut"}


def test_parse_quarter():
    q1 = parse_quarter("2026-Q1")
    assert q1 is not None and (q1.first, q1.last, q1.label) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "2026-Q1",
    )
    q4 = parse_quarter("2025-q4")
    assert q4 is not None and q4.last == date(2025, 12, 31)
    for bad in ("2026-Q5", "2026-Q0", "2026-1", "Q1-2026", ""):
        assert parse_quarter(bad) is None


async def quarter_report(settings, engine, clock, today=date(2026, 4, 15)):
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 4, 15, 9, 0, tzinfo=UTC))
    await import_rows(app, *((ref, "Nord", "U0HANDL01", ev, day) for ref, ev, day in ROWS))
    async with app.unit_of_work() as uow:
        rows = [r for r in await uow.reports.report_rows("Nord") if r.rule_id in RULES]
        cases = await uow.cases.cases_by_code({r.code for r in rows})
        events = await uow.cases.events_of(c.id for c in cases.values())
        codes = {ref: app.pseudonymiser.code(ref) for ref, _ev, _day in ROWS}
    by_code = {code: events.get(case.id, []) for code, case in cases.items()}
    return build_quarter_report(rows, by_code, parse_quarter("2026-Q1"), today), codes


async def test_quarter_report(settings, engine, clock):
    """34 kap. 1–3 §§ SoL: per decision (ärendekod, never personal data) the date of the
    decision, its kind, whether it was interrupted, the days without verkställighet; and the
    quarter's counts for the statistikrapport to fullmäktige."""
    report, codes = await quarter_report(settings, engine, clock)
    by_code = {entry.code: entry for entry in report.entries}
    assert set(by_code) == {codes["BIST 1"], codes["BIST 2"], codes["BIST 4"]}
    never = by_code[codes["BIST 1"]]
    # 10 Nov 2025 to the reporting day 31 Mar 2026: 141 days.
    assert (never.kind, never.decided_on, never.days_without, never.status) == (
        "11 kap. 1 § SoL",
        date(2025, 11, 10),
        141,
        "open",
    )
    late = by_code[codes["BIST 2"]]
    assert (late.kind, late.status, late.resolved_on, late.days_without) == (
        "12 kap. 1 § SoL",
        "done",
        date(2026, 2, 15),
        137,
    )
    interrupted = by_code[codes["BIST 4"]]
    assert (interrupted.decided_on, interrupted.interrupted_on, interrupted.days_without) == (
        date(2025, 9, 1),
        date(2025, 12, 1),
        120,
    )
    assert (report.not_carried_out, report.not_resumed) == (2, 1)
    assert report.by_kind() == {"11 kap. 1 § SoL": 2, "12 kap. 1 § SoL": 1}
    table = list(csv.reader(io.StringIO(quarter_csv(report)), delimiter=";"))
    assert table[0][:4] == ["enhet", "ärendekod", "beslutsdatum", "typ av beslut"]
    assert table[0][-1] == "skäl (fylls i av handläggaren)"
    assert [
        "Nord",
        codes["BIST 4"],
        "2025-09-01",
        "11 kap. 1 § SoL",
        "ja",
        "2025-12-01",
        "120",
        "ej verkställt",
        "",
    ] in table
    markdown = quarter_markdown(report)
    assert "# Ej verkställda beslut, 2026-Q1" in markdown
    assert "Beslut som inte verkställts inom tre månader: 2." in markdown
    assert "Avbrott som inte återupptagits inom tre månader: 1." in markdown
    assert "BIST" not in markdown  # only ärendekoder


async def test_quarter_still_running(settings, engine, clock):
    """While the quarter runs the report is as on today: on 5 Feb 2026 BIST 1 (three months
    end 10 Feb) and BIST 4 (1 Mar) are not yet reportable, BIST 2 (1 Jan) is."""
    report, codes = await quarter_report(settings, engine, clock, today=date(2026, 2, 5))
    assert {entry.code for entry in report.entries} == {codes["BIST 2"]}


def test_cli(tmp_path):
    """`frister report --ej-verkstallda --quarter 2026-Q1`, and one Swedish line, exit 2, on a
    bad quarter."""
    csv_text = HEADER + "".join(f"{r};Nord;U0HANDL01;{e};{d}\n" for r, e, d in ROWS)
    (tmp_path / "beslut.csv").write_text(csv_text, encoding="utf-8")
    settings = {"FRISTER_PSEUDONYM_KEY": KEY, "FRISTER_DATABASE_URL": db_url(tmp_path)}
    imported = run(tmp_path, "import", "beslut.csv", "--new-enhet", "Nord", **settings)
    assert imported.returncode == 0, imported.stderr
    md, as_csv, bad, missing, png = run_all(
        (tmp_path, ["report", "--ej-verkstallda", "--quarter", "2026-Q1"], "", settings),
        (
            tmp_path,
            ["report", "--ej-verkstallda", "--quarter", "2026-Q1", "--format", "csv"],
            "",
            settings,
        ),
        (tmp_path, ["report", "--ej-verkstallda", "--quarter", "2026-Q5"], "", settings),
        (tmp_path, ["report", "--ej-verkstallda"], "", settings),
        (
            tmp_path,
            ["report", "--ej-verkstallda", "--quarter", "2026-Q1", "--format", "png"],
            "",
            settings,
        ),
    )
    assert md.returncode == 0, md.stderr
    assert md.stdout.splitlines()[0] == "# Ej verkställda beslut, 2026-Q1"
    assert "Beslut som inte verkställts inom tre månader: 2." in md.stdout
    assert as_csv.returncode == 0, as_csv.stderr
    assert len(as_csv.stdout.splitlines()) == 4  # the header and three decisions
    assert bad.returncode == 2 and bad.stdout == ""
    assert (
        one_line(bad.stderr) == "Ogiltigt kvartal: 2026-Q5 (skriv ÅÅÅÅ-Qn, till exempel 2026-Q1)."
    )
    assert missing.returncode == 2 and one_line(missing.stderr).startswith("Ange kvartalet")
    assert png.returncode == 2 and one_line(png.stderr).startswith("Rapporten om ej verkställda")
