"""Workload figures (pure): counts, loads, thresholds, suggestions, absence, the chart.

Every expected figure is computed by hand in the comments, from the built-in weights:
utredning 3, uppföljning 0.5, everything else 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO

import pytest

from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from bot.domain.roles import Role
from bot.domain.rules import WorkloadSettings, load_rule_pack
from bot.domain.staff import StaffMember
from bot.domain.workload import person_name, unit_load, week_bars
from bot.services.workload_chart import chart_png
from bot.services.workload_watch import at_risk

PACK = load_rule_pack()
DAY = date(2026, 11, 23)  # a Monday
NORD = "Nord"
ANNA, BO, CECI, DAN = 1, 2, 3, 4


def staff(**anna: object) -> list[StaffMember]:
    return [
        StaffMember(
            id=ANNA,
            chat_user_id="U0ANNA",
            email="anna.berg@kommun.se",
            role=Role.HANDLAGGARE,
            enhet_id=1,
            **anna,
        ),  # type: ignore[arg-type]
        StaffMember(
            id=BO, chat_user_id="U0BO", email="bo.ek@kommun.se", role=Role.HANDLAGGARE, enhet_id=1
        ),
        StaffMember(
            id=CECI,
            chat_user_id="U0CECI",
            email="cecilia@kommun.se",
            role=Role.HANDLAGGARE,
            enhet_id=1,
        ),
        StaffMember(id=DAN, chat_user_id="U0DAN", role=Role.CHEF, enhet_id=1),
    ]


def frist(n: int, owner: int | None, rule: str, last: date, **more: object) -> Deadline:
    return Deadline(
        frist_id=n,
        case_id=n,
        code=f"K{n}",
        rule_id=rule,
        trigger_date=last - timedelta(120),
        last_day=last,
        status=Status.OPEN,
        enhet_id=1,
        handlaggare_id=owner,
        **more,  # type: ignore[arg-type]
    )


DEADLINES = [
    frist(1, ANNA, "utredning", date(2026, 11, 26)),  # in 3 days: 7/14/28; weight 3
    frist(2, ANNA, "utredning", date(2027, 1, 10)),  # later than 28 days; weight 3
    frist(3, ANNA, "forhandsbedomning", date(2026, 11, 20)),  # overdue; weight 1
    frist(4, ANNA, "uppfoljning", date(2026, 12, 15)),  # in 22 days: 28; weight 0.5
    frist(5, BO, "forhandsbedomning", date(2026, 12, 1)),  # in 8 days: 14/28; weight 1
    frist(6, BO, "overvagande", date(2026, 12, 1), extended_to=date(2026, 12, 10)),  # 17: 28
    frist(7, CECI, "forhandsbedomning", date(2026, 11, 30)),  # in 7 days: 7/14/28
    frist(8, None, "forhandsbedomning", date(2026, 11, 30)),  # nobody's
    replace(frist(9, CECI, "utredning", date(2026, 11, 30)), status=Status.DONE),  # closed
]


def by_name(unit):
    return {p.name: p for p in unit.people}


def test_counts():
    people = by_name(unit_load(1, NORD, DEADLINES, staff(), DAY, PACK))
    anna, bo, ceci = people["Anna Berg"], people["Bo Ek"], people["Cecilia"]
    assert (anna.open_utredningar, anna.due, anna.overdue, anna.extended) == (2, (1, 1, 2), 1, 0)
    assert (bo.open_utredningar, bo.due, bo.overdue, bo.extended) == (0, (0, 1, 2), 0, 1)
    assert (ceci.open_utredningar, ceci.due, ceci.overdue) == (0, (1, 1, 1), 0)
    assert "Handläggare 4" not in people  # the chef holds nothing and is not listed


def test_loads():
    people = by_name(unit_load(1, NORD, DEADLINES, staff(), DAY, PACK))
    assert people["Anna Berg"].load == 7.5  # 3 + 3 + 1 + 0.5
    assert people["Anna Berg"].load_14 == 4.0  # 3 (26 Nov) + 1 (overdue)
    assert people["Bo Ek"].load == 2.0
    assert people["Cecilia"].load == 1.0


def test_threshold_and_suggestion():
    unit = unit_load(1, NORD, DEADLINES, staff(), DAY, PACK)
    assert unit.median == 2.0  # of 7.5, 2, 1
    assert unit.threshold == 3.0  # 1.5 × 2
    assert [p.name for p in unit.over] == ["Anna Berg"]
    assert unit.room is not None and unit.room.name == "Cecilia"
    assert unit.unassigned == 1
    assert [p.name for p in unit.people] == ["Anna Berg", "Bo Ek", "Cecilia"]  # highest first


def test_fixed_threshold():
    pack = replace(PACK, workload=WorkloadSettings(thresholds={NORD: 8}))
    unit = unit_load(1, NORD, DEADLINES, staff(), DAY, pack)
    assert (unit.threshold, unit.fixed_threshold, unit.over, unit.room) == (8, True, (), None)


def test_median_zero_uses_mean():
    heavy = [frist(i, BO, "utredning", date(2027, 2, 1)) for i in range(1, 4)]  # 9
    unit = unit_load(1, NORD, heavy, staff(), DAY, PACK)
    assert unit.median == 0 and unit.threshold == 4.5  # 1.5 × mean(0, 9, 0) = 1.5 × 3
    assert [p.name for p in unit.over] == ["Bo Ek"]
    assert unit.room is not None and unit.room.name == "Anna Berg"  # 0, first by name


def test_absence_moves_load_to_the_substitute():
    away = staff(absent_from=DAY, absent_to=date(2026, 11, 27), substitute_id=BO)
    people = by_name(unit_load(1, NORD, DEADLINES, away, DAY, PACK))
    anna, bo = people["Anna Berg"], people["Bo Ek"]
    assert (anna.load, anna.absent, anna.due) == (0.0, True, (0, 0, 1))  # 15 Dec: she is back
    assert (bo.load, bo.standing_in, bo.overdue) == (9.5, 4, 1)  # 2 + 7.5
    assert bo.due == (1, 2, 3)  # 26 Nov falls in the absence
    unit = unit_load(1, NORD, DEADLINES, away, DAY, PACK)
    assert unit.threshold == 7.88  # 1.5 × median(9.5, 1) = 1.5 × 5.25, Anna not counted
    assert [p.name for p in unit.over] == ["Bo Ek"]
    assert unit.room is not None and unit.room.name == "Cecilia"


def test_names_never_chat_ids():
    assert person_name(StaffMember(id=7, chat_user_id="U0X", role=Role.HANDLAGGARE)) == (
        "Handläggare 7"
    )
    member = StaffMember(id=7, chat_user_id="U0X", email="a.b@x.se", role=Role.HANDLAGGARE)
    assert person_name(member) == "A B"
    assert person_name(member, {"U0X": "Anna"}) == "Anna"


def test_week_bars():
    unit = unit_load(1, NORD, DEADLINES, staff(), DAY, PACK)
    bars = week_bars(unit, DEADLINES, staff(), 4)
    assert bars.weeks[0] == DAY and bars.weeks[3] == date(2026, 12, 14)
    assert bars.due == ((1, 0, 0, 1), (0, 1, 1, 0), (0, 1, 0, 0))
    assert bars.overdue == (1, 0, 0)
    assert bars.threshold == 3.0  # 1.5 × median(3, 2, 1)


def test_chart_is_a_png():
    unit = unit_load(1, NORD, DEADLINES, staff(), DAY, PACK)
    data = chart_png(week_bars(unit, DEADLINES, staff(), 4))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 5_000 < len(data) < 300_000
    image = pytest.importorskip("PIL.Image")
    with image.open(BytesIO(data)) as png:
        png.verify()
    with image.open(BytesIO(data)) as png:
        assert png.format == "PNG" and png.size[0] >= 600 and png.size[1] >= 400


def test_at_risk_boundary():
    # 4 months from 1 Aug 2026: last day 1 Dec (123 days); a quarter is 30.75 days.
    d = replace(frist(1, ANNA, "utredning", date(2026, 12, 1)), trigger_date=date(2026, 8, 1))
    progress = date(2026, 10, 1)
    assert not at_risk(d, progress, date(2026, 10, 31), 3)  # 31 days left: not less than 1/4
    assert at_risk(d, progress, date(2026, 11, 1), 3)  # 30 left, 31 days since progress
    assert not at_risk(d, date(2026, 10, 12), date(2026, 11, 1), 3)  # progress 20 days ago
    assert not at_risk(d, progress, date(2026, 12, 2), 3)  # overdue: the ladder's business


def test_report_section():
    from bot.ports.reports import ReportRow
    from bot.services.report_workload import report_names, workload_section

    def row(rule, trigger, last, who, status="open", closed=None):
        return ReportRow("Nord", "K", rule, trigger, last, None, status, closed, who)

    rows = [
        row("utredning", date(2026, 7, 1), date(2026, 11, 2), "U0ANNA"),  # open since July
        row("utredning", date(2026, 9, 1), date(2027, 1, 2), "U0ANNA", "done", date(2026, 10, 15)),
        row("forhandsbedomning", date(2026, 10, 20), date(2026, 11, 3), "bo.ek@kommun.se"),
        row("utredning", date(2026, 10, 5), date(2027, 2, 5), "U0GONE"),  # not in the register
    ]
    names = report_names(staff())
    lines = workload_section(rows, date(2026, 10, 1), date(2026, 11, 23), names)
    text = "\n".join(lines)
    # 31 October: Anna holds one utredning (the other closed 15 Oct), Bo one förhandsbedömning
    # due 3 Nov (not yet overdue); the unknown handle gets a number, never its chat id.
    assert "| Anna Berg | 1 | 1 | 0 |" in lines
    assert "| Bo Ek | 0 | 1 | 0 |" in lines
    assert "| Handläggare 1 | 1 | 1 | 0 |" in lines and "U0GONE" not in text
    trend = lines[lines.index("|---|" + "---:|" * 12) + 1 :]
    # Anna's utredningar at each month end from Nov 2025 to Oct 2026: 0 until June, one in
    # July and August, two in September, one in October.
    assert "| Anna Berg | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 1 | 2 | 1 |" in trend


def test_rules_check_workload_keys(tmp_path):
    from bot.domain.rules import check_file, load_rule_pack, pack_files

    good = tmp_path / "kommun.toml"
    good.write_text(
        'pack = "kommun"\n[workload]\nfactor = 2\nthresholds = { "Nord" = 9 }\n'
        '[[rule]]\nid = "utredning-kort"\nname = "Kort utredning"\ntrigger = "utredning_inledd"\n'
        'length = "2m"\ncloses_on = ["utredning_avslutad"]\nweight = 2.5\n'
        'legal = { new = "20 kap. 3 § SoL (2025:400)", old = "11 kap. 2 § SoL (2001:453)" }\n',
        encoding="utf-8",
    )
    assert check_file(good) == []
    pack = load_rule_pack([*pack_files(), good])
    assert pack.weight("utredning-kort") == 2.5 and pack.weight("utredning") == 3.0
    assert pack.weight("forhandsbedomning") == 1.0  # no weight: the documented default
    assert pack.workload.factor == 2 and pack.workload.thresholds == {"Nord": 9}
    assert pack.workload.stale_weeks == 3  # not given: the built-in pack's
    bad = tmp_path / "fel.toml"
    bad.write_text(
        'pack = "fel"\n[workload]\nfactor = 0.5\nprogress_events = ["hembesok"]\n', encoding="utf-8"
    )
    errors = [str(e) for e in check_file(bad)]
    assert any("factor" in e for e in errors), errors
    weight = tmp_path / "vikt.toml"
    weight.write_text(good.read_text(encoding="utf-8").replace("2.5", "-1"), encoding="utf-8")
    assert any("weight" in str(e) for e in check_file(weight))
    unknown = tmp_path / "okand.toml"
    unknown.write_text('pack = "o"\n[workload]\nprogress_events = ["hembesok"]\n', encoding="utf-8")
    assert any("hembesok" in str(e) for e in check_file(unknown))
