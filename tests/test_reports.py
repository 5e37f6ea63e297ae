"""Egenkontroll reports: figures, formats, and the JO restart pattern."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from bot.bootstrap import App
from bot.domain.deadlines import CaseEvent
from bot.domain.delegation import (
    DelegationMode,
    check_decision,
    restarted_investigations,
)
from bot.domain.roles import DecisionLevel
from bot.domain.rules import load_rule_pack
from bot.ports.reports import ReportRow
from bot.services.report_chart import to_png
from bot.services.report_formats import to_csv, to_markdown
from bot.services.reports import build_report, trend
from tests.factories import import_rows

JUNE = date(2026, 6, 1)
TODAY = date(2026, 11, 23)


def row(rule, trigger, last, status="done", closed=None, extended=None, who="U1"):
    return ReportRow("Nord", "AAAA-AAAA", rule, trigger, last, extended, status, closed, who)


ROWS = [
    row("forhandsbedomning", date(2026, 5, 28), date(2026, 6, 11), closed=date(2026, 6, 10)),
    row("forhandsbedomning", date(2026, 6, 1), date(2026, 6, 15), closed=date(2026, 6, 20)),
    row("forhandsbedomning", date(2026, 6, 10), date(2026, 6, 24), status="open"),
    row("utredning", date(2026, 2, 2), date(2026, 6, 2), closed=date(2026, 6, 1)),
    row(
        "utredning",
        date(2026, 2, 9),
        date(2026, 6, 9),
        closed=date(2026, 7, 1),
        extended=date(2026, 7, 9),
    ),
    row("overvagande", date(2025, 12, 15), date(2026, 6, 15), status="cancelled"),
    row("forhandsbedomning", date(2026, 7, 1), date(2026, 7, 15), closed=date(2026, 7, 2)),
]


def test_month_figures():
    report = build_report("Nord", ROWS, JUNE, TODAY)
    forhand = report.groups["forhandsbedomning"]
    assert (forhand.due, forhand.kept, forhand.late, forhand.open_overdue) == (3, 1, 1, 1)
    utredning = report.groups["utredning"]
    assert (utredning.due, utredning.kept, utredning.kept_extended) == (2, 1, 1)
    assert report.groups["overvagande"].due == 0  # cancelled ones do not count
    assert report.median_days_to_done == 19  # 13, 19 and 119 days
    # On 30 June: the open förhandsbedömning (overdue) and the utredning closed in July (its
    # extended day, 9 July, not yet passed) are open.
    assert (report.open_now, report.overdue_now) == (2, 1)


def test_formats(tmp_path):
    report = build_report("Nord", ROWS, JUNE, TODAY)
    table = list(csv.reader(io.StringIO(to_csv([report])), delimiter=";"))
    assert table[0][:3] == ["enhet", "månad", "mått"]
    assert [
        "Nord",
        "2026-06",
        "Förhandsbedömningar inom 14 dagar",
        "3",
        "1",
        "0",
        "1",
        "1",
        "33,3",
    ] in table
    assert all("–" not in cell and "%" not in cell for line in table[1:] for cell in line)
    gap = table.index([])  # the month's summary is a table of its own after an empty row
    assert all(len(line) == 9 for line in table[1:gap])
    assert table[gap + 1][:3] == ["enhet", "månad", "öppna frister vid månadens slut"]
    assert table[gap + 2] == ["Nord", "2026-06", "2", "1", "19", "låsta vid månadens slut"]
    markdown = to_markdown(report)
    assert "# Egenkontroll Nord, juni 2026" in markdown
    assert "| Mått | Frister med sista dag i månaden | I tid |" in markdown
    assert "| Utredningar inom 4 månader | 2 | 1 | 1 | 0 | 0 | 50 % |" in markdown
    assert "Period: 1–30 juni 2026." in markdown
    assert "I tid: markerad klar senast lagens sista dag" in markdown
    assert "Källa: Fristers databas" in markdown
    path = tmp_path / "trend.png"
    to_png(trend("Nord", ROWS, JUNE, TODAY), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_restart_pattern():
    events = [
        CaseEvent(1, "utredning_inledd", date(2026, 1, 5)),
        CaseEvent(2, "utredning_avslutad", date(2026, 4, 30)),
        CaseEvent(3, "utredning_inledd", date(2026, 5, 4)),
        CaseEvent(4, "utredning_avslutad", date(2026, 8, 1)),
        CaseEvent(5, "utredning_inledd", date(2026, 10, 1)),
    ]
    (restart,) = restarted_investigations(events)
    assert (restart.closed_on, restart.reopened_on, restart.gap_days) == (
        date(2026, 4, 30),
        date(2026, 5, 4),
        4,
    )
    report = build_report("Nord", [], date(2026, 5, 1), TODAY, {"AAAA-AAAA": events})
    assert "JO" in to_markdown(report) and "4 dagar" in to_markdown(report)


@pytest.mark.parametrize(
    ("rule", "level", "extension", "mode", "allowed", "escalate"),
    [
        ("overvagande", DecisionLevel.UTSKOTT, False, DelegationMode.REFUSE, True, False),
        ("overvagande", DecisionLevel.NAMND, False, DelegationMode.REFUSE, True, False),
        ("overvagande", DecisionLevel.CHEF, False, DelegationMode.REFUSE, False, False),
        ("overvagande", DecisionLevel.CHEF, False, DelegationMode.ESCALATE, True, True),
        ("utredning", DecisionLevel.CHEF, True, DelegationMode.REFUSE, True, False),
        ("utredning", DecisionLevel.HANDLAGGARE, True, DelegationMode.REFUSE, False, False),
        ("forhandsbedomning", DecisionLevel.HANDLAGGARE, False, DelegationMode.REFUSE, True, False),
    ],
)
def test_delegation(rule, level, extension, mode, allowed, escalate):
    check = check_decision(load_rule_pack().rule(rule), level, extension=extension, mode=mode)
    assert (check.allowed, check.escalate) == (allowed, escalate)


async def test_report_command(settings, engine, clock, tmp_path):
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    await import_rows(
        app,
        ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 1)),
        ("IFO 1", "Nord", "U0HANDL01", "utredning_inledd", date(2026, 6, 10)),
        ("IFO 2", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 5)),
        ("IFO 2", "Nord", "U0HANDL01", "forhandsbedomning_klar", date(2026, 6, 25)),
    )
    async with app.unit_of_work() as uow:
        rows = await uow.reports.report_rows("Nord")
    report = build_report("Nord", rows, JUNE, date(2026, 7, 20))
    forhand = report.groups["forhandsbedomning"]
    assert (forhand.due, forhand.kept, forhand.late) == (2, 1, 1)
    # Open on 30 June: both skyddsbedömningar (overdue: never marked done), the utredning and
    # the information that it started (genast, 20 kap. 4 § SoL; overdue).
    assert report.workload == {"U0HANDL01": (4, 3)}


async def test_monthly_report_posted_on_first_working_day(settings, engine, clock):
    from zoneinfo import ZoneInfo

    from bot.services.report_poster import first_working_day
    from tests.factories import set_escalation_channel

    sthlm = ZoneInfo("Europe/Stockholm")
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 7, 20, 9, 0, tzinfo=sthlm))
    await import_rows(app, ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 7, 1)))
    await set_escalation_channel(engine, "Nord", "C0ESKALER")
    reports = app.monthly_reports()
    # 1 August 2026 is a Saturday: the first working day is Monday 3 August.
    assert first_working_day(date(2026, 8, 1), app.calendar) == date(2026, 8, 3)
    clock.set(datetime(2026, 7, 31, 9, 0, tzinfo=sthlm))
    assert await reports.post_if_due() == 0
    clock.set(datetime(2026, 8, 3, 9, 0, tzinfo=sthlm))
    assert await reports.post_if_due() == 1
    assert await reports.post_if_due() == 0  # once per enhet and month
    async with app.unit_of_work() as uow:
        assert await uow.outbox.has_step("rapport:1:2026-07")
    from sqlalchemy import select

    from storage.database import session_factory, transaction
    from storage.models import Notification

    async with transaction(session_factory(engine)) as session:
        (row,) = (
            (await session.execute(select(Notification).where(Notification.step.startswith("rap"))))
            .scalars()
            .all()
        )
    assert row.recipient == "channel:C0ESKALER"
    assert "Egenkontroll Nord, juli 2026" in row.payload
    assert "Förhandsbedömningar inom 14 dagar: 0 av 1 i tid" in row.payload
