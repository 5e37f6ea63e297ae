"""Ordförande decisions reported at the nämnd's next meeting (6 § 2 st., 11 § 3 st., 27 §,
31 d § LVU): the meeting dates, `length = "next-meeting"`, and the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.bootstrap import App
from bot.domain.calendar import swedish_calendar
from bot.domain.deadlines import CaseEvent, Status, derive_deadlines
from bot.domain.meetings import next_meeting, parse_meetings
from bot.domain.rules import check_files, load_rule_pack, pack_files
from tests.factories import import_rows
from tests.test_cli import one_line, run_all

# Hand-chosen meetings of a socialnämnd: Thursdays in spring 2026.
MEETINGS = (date(2026, 1, 22), date(2026, 5, 7), date(2026, 6, 11))
MEETING_FILE = "# Socialnämnden 2026\n2026-05-07\n\n2026-06-11  # juni\n2026-01-22\n2026-05-07\n"


def test_parse_meetings():
    """One date a line; comments and blank lines ignored; duplicates once; sorted."""
    dates, errors = parse_meetings(MEETING_FILE)
    assert (dates, errors) == (MEETINGS, [])
    _dates, errors = parse_meetings("2026-05-07\n2026-13-01\n7 maj\n20260507\n")
    assert [error.line for error in errors] == [2, 3, 4]
    assert errors[1].message == "inte ett datum ÅÅÅÅ-MM-DD: 7 maj"


def test_next_meeting_is_after_the_decision_day():
    """ "anmälas vid nämndens nästa sammanträde": the first meeting after the decision; one made
    on a meeting day may come after that meeting, so it goes to the following one."""
    assert next_meeting(MEETINGS, date(2026, 5, 4)) == date(2026, 5, 7)
    assert next_meeting(MEETINGS, date(2026, 5, 7)) == date(2026, 6, 11)
    assert next_meeting(MEETINGS, date(2026, 6, 11)) is None


def test_rule_last_day_is_the_next_meeting():
    """6 § andra stycket LVU: an omedelbart omhändertagande decided by the ordförande "ska
    anmälas vid nämndens nästa sammanträde". Decided Mon 4 May 2026 → Thu 7 May 2026."""
    pack = load_rule_pack()
    rule = pack.with_meetings(MEETINGS).rule("ordforande-rapport")
    assert "6 § andra stycket, 11 § tredje stycket, 27 § och 31 d § LVU" in rule.legal.new
    assert rule.last_day(date(2026, 5, 4), swedish_calendar()) == date(2026, 5, 7)
    # A meeting date is never moved: 22 Jan 2026 stays even were it a holiday.
    assert rule.explain(date(2026, 1, 2), swedish_calendar()).shifted_because is None
    assert rule.has_limit(date(2026, 6, 10)) and not rule.has_limit(date(2026, 6, 11))
    # Without meeting dates the rule gives no deadline at all.
    assert not pack.rule("ordforande-rapport").has_limit(date(2026, 5, 4))
    assert pack.rule("forhandsbedomning") is pack.with_meetings(MEETINGS).rule("forhandsbedomning")


def test_derived_deadlines():
    """27 § LVU (tillfälligt flyttningsförbud) and 31 d § LVU (tillfälligt utreseförbud) by the
    ordförande: each decision is reported at the next meeting and is done when reported."""
    events = [
        CaseEvent(1, "ordforande_beslut", date(2026, 5, 4)),
        CaseEvent(2, "ordforande_beslut_anmalt", date(2026, 5, 7)),
        CaseEvent(3, "ordforande_beslut", date(2026, 5, 20)),
    ]
    calendar = swedish_calendar()
    derived = [
        d
        for d in derive_deadlines(events, load_rule_pack().with_meetings(MEETINGS), calendar)
        if d.rule_id == "ordforande-rapport"
    ]
    assert [(d.trigger_date, d.last_day, d.status) for d in derived] == [
        (date(2026, 5, 4), date(2026, 5, 7), Status.DONE),
        (date(2026, 5, 20), date(2026, 6, 11), Status.OPEN),
    ]
    assert not [
        d
        for d in derive_deadlines(events, load_rule_pack(), calendar)
        if d.rule_id == "ordforande-rapport"
    ]


def test_next_meeting_cannot_recur(tmp_path):
    """A length of next-meeting with recurs is refused, with its line."""
    path = tmp_path / "lokal.toml"
    path.write_text(
        'pack = "lokal"\n\n[[rule]]\nid = "x-mote"\nname = "Test"\ntrigger = "ordforande_beslut"\n'
        'length = "next-meeting"\nrecurs = "1m"\ncloses_on = ["ordforande_beslut_anmalt"]\n'
        'legal = { new = "6 § LVU" }\n',
        encoding="utf-8",
    )
    (error,) = check_files([*pack_files(), path])
    assert error.line == 8 and "next-meeting" in error.message


async def test_meeting_dates_from_the_setting(settings, engine, clock, tmp_path):
    """The composition root reads FRISTER_NAMND_MOTEN; an imported ordförande decision of Wed
    20 May 2026 is due at the meeting of Thu 11 June 2026."""
    path = tmp_path / "moten.txt"
    path.write_text(MEETING_FILE, encoding="utf-8")
    app = App(
        settings.model_copy(update={"namnd_moten": path}), clock=clock, engine_override=engine
    )
    clock.set(datetime(2026, 5, 21, 9, 0, tzinfo=UTC))
    await import_rows(app, ("LVU 9", "Nord", "U0HANDL01", "ordforande_beslut", date(2026, 5, 20)))
    async with app.unit_of_work() as uow:
        rows = [
            r for r in await uow.reports.report_rows("Nord") if r.rule_id == "ordforande-rapport"
        ]
    assert [(r.trigger_date, r.last_day, r.status) for r in rows] == [
        (date(2026, 5, 20), date(2026, 6, 11), "open")
    ]


def test_cli(tmp_path):
    """`frister rules due ordforande-rapport`: the next meeting, or `ingen frist` with a
    warning (exit 0) when no meeting is known; `frister namnd moten FILE` (alias `nämnd möten`)
    checks and lists the dates."""
    (tmp_path / "moten.txt").write_text(MEETING_FILE, encoding="utf-8")
    (tmp_path / "fel.txt").write_text("2026-05-07\n2026-02-30\n", encoding="utf-8")
    with_file = {"FRISTER_NAMND_MOTEN": str(tmp_path / "moten.txt")}
    due, none, after_last, listed, bad, bad_setting, no_file = run_all(
        (tmp_path, ["rules", "due", "ordforande-rapport", "2026-05-04"], "", with_file),
        (tmp_path, ["rules", "due", "ordforande-rapport", "2026-05-04"], "", {}),
        (tmp_path, ["rules", "due", "ordforande-rapport", "2026-06-11"], "", with_file),
        (tmp_path, ["nämnd", "möten", "moten.txt"], "", {}),
        (tmp_path, ["namnd", "moten", "fel.txt"], "", {}),
        (
            tmp_path,
            ["rules", "due", "ordforande-rapport", "2026-05-04"],
            "",
            {"FRISTER_NAMND_MOTEN": str(tmp_path / "fel.txt")},
        ),
        (tmp_path, ["namnd", "moten"], "", {}),
    )
    assert due.returncode == 0, due.stderr
    assert due.stdout.splitlines()[0] == "2026-05-07"
    assert "nämndens första sammanträde efter 2026-05-04" in due.stdout
    for result in (none, after_last):
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == "ingen frist"
        assert one_line(result.stderr).startswith("Varning: ")
    assert "FRISTER_NAMND_MOTEN" in none.stderr
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[:3] == [
        "2026-01-22  torsdag 22 januari 2026",
        "2026-05-07  torsdag 7 maj 2026",
        "2026-06-11  torsdag 11 juni 2026",
    ]
    assert "Sammanträdesdagar: 3, 2026-01-22 – 2026-06-11." in listed.stdout
    assert bad.returncode == 1
    assert one_line(bad.stderr) == "fel.txt:2: inte ett datum ÅÅÅÅ-MM-DD: 2026-02-30"
    assert bad_setting.returncode == 2 and bad_setting.stdout == ""
    assert one_line(bad_setting.stderr).startswith("Inställningen FRISTER_NAMND_MOTEN är ogiltig")
    assert no_file.returncode == 2
    assert one_line(no_file.stderr) == "Ange en fil eller inställningen FRISTER_NAMND_MOTEN."
