"""The deadlines issue 11 found missing, one test each, citing its paragraph.

Expected days are computed by hand; lag (1930:173) moves a last day on a Saturday, Sunday,
allmän helgdag, midsommar-, jul- or nyårsafton to the next working day.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.calendar import swedish_calendar
from bot.domain.deadlines import CaseEvent, DerivedDeadline, Status, derive_deadlines
from bot.domain.rules import load_rule_pack

CAL = swedish_calendar()
PACK = load_rule_pack()
D = date.fromisoformat
OPEN, DONE, CANCELLED = Status.OPEN, Status.DONE, Status.CANCELLED


def ev(event_id: int, kind: str, day: str) -> CaseEvent:
    assert kind in PACK.events, kind
    return CaseEvent(event_id, kind, D(day))


def of_rule(rule_id: str, *events: CaseEvent) -> list[tuple[date, date, Status, int | None]]:
    found: list[DerivedDeadline] = [
        d for d in derive_deadlines(list(events), PACK, CAL) if d.rule_id == rule_id
    ]
    return [(d.trigger_date, d.last_day, d.status, d.closing_event_id) for d in found]


def test_utredning_information_genast():
    """20 kap. 4 § SoL (2025:400): those concerned are informed "genast" that an utredning
    has started - the same day, never moved (Saturday 7 Mar 2026 stays)."""
    assert of_rule("utredning-information", ev(1, "utredning_inledd", "2026-03-07")) == [
        (D("2026-03-07"), D("2026-03-07"), OPEN, None)
    ]
    assert of_rule(
        "utredning-information",
        ev(1, "utredning_inledd", "2026-03-07"),
        ev(2, "utredning_information_lamnad", "2026-03-09"),
    ) == [(D("2026-03-07"), D("2026-03-07"), DONE, 2)]


def test_vardplan_first_revision():
    """9 kap. 13 § SoL (2025:400): the vårdplan is revised at the latest when the child has
    been placed for two years - a deadline of its own beside the övervägande."""
    events = [ev(1, "placering_verkstalld", "2026-01-15")]
    # Thu 15 Jan 2026 + 2 years = Sat 15 Jan 2028 -> Mon 17 Jan 2028.
    assert of_rule("vardplan-revidering", *events) == [
        (D("2026-01-15"), D("2028-01-17"), OPEN, None)
    ]
    kinds = {d.rule_id for d in derive_deadlines(events, PACK, CAL)}
    assert {"overvagande", "vardplan-revidering"} <= kinds


def test_lvu_5_care_must_start():
    """5 § LVU: "Rättens beslut om vård upphör att gälla, om vården inte har påbörjats inom
    fyra veckor från den dag då beslutet vann laga kraft." """
    got = of_rule(
        "lvu-vardbeslut-verkstallighet",
        ev(1, "lvu_vardbeslut_laga_kraft", "2026-11-27"),
    )
    # Fri 27 Nov 2026 + 4 weeks = Fri 25 Dec (juldagen), 26 annandag jul, Sunday -> Mon 28 Dec.
    assert got == [(D("2026-11-27"), D("2026-12-28"), OPEN, None)]
    assert PACK.rule("lvu-vardbeslut-verkstallighet").quote.startswith("Rättens beslut om vård")
    assert of_rule(
        "lvu-vardbeslut-verkstallighet",
        ev(1, "lvu_vardbeslut_laga_kraft", "2026-11-27"),
        ev(2, "lvu_vard_verkstalld", "2026-12-01"),
    ) == [(D("2026-11-27"), D("2026-12-28"), DONE, 2)]


def test_lvu_9a_fortsatt_omhandertagande_two_months_per_decision():
    """9 a–9 b §§ LVU: a fortsatt omhändertagande lasts at most two months per decision; a new
    decision runs from its own day."""
    got = of_rule(
        "lvu-fortsatt-omhandertagande",
        ev(1, "lvu_fortsatt_omhandertagande", "2026-10-31"),
        ev(2, "lvu_fortsatt_omhandertagande", "2026-12-20"),
    )
    # Sat 31 Oct 2026 + 2 months = Thu 31 Dec (nyårsafton), Fri 1 Jan nyårsdagen, weekend
    # -> Mon 4 Jan 2027; replaced by the decision of Sun 20 Dec: + 2 months = Sat 20 Feb 2027
    # -> Mon 22 Feb 2027.
    assert got == [
        (D("2026-10-31"), D("2027-01-04"), CANCELLED, 2),
        (D("2026-12-20"), D("2027-02-22"), OPEN, None),
    ]


def test_lvu_21b_uppfoljning_after_care():
    """21 b–21 c §§ LVU: after LVU care has ended the child's situation is followed up within
    six months; when the child is reunited with the vårdnadshavare, from the reunion."""
    # Mon 16 Mar 2026 + 6 months = Wed 16 Sep 2026.
    assert of_rule("lvu-uppfoljning", ev(1, "lvu_vard_upphord", "2026-03-16")) == [
        (D("2026-03-16"), D("2026-09-16"), OPEN, None)
    ]
    # Reunited Thu 30 Apr 2026: + 6 months = Fri 30 Oct 2026.
    assert of_rule(
        "lvu-uppfoljning",
        ev(1, "lvu_vard_upphord", "2026-03-16"),
        ev(2, "lvu_aterforening", "2026-04-30"),
    ) == [
        (D("2026-03-16"), D("2026-09-16"), CANCELLED, 2),
        (D("2026-04-30"), D("2026-10-30"), OPEN, None),
    ]
    # A reunion without LVU care before it is not this rule's.
    assert of_rule("lvu-uppfoljning", ev(1, "lvu_aterforening", "2026-04-30")) == []


def test_lvu_22_oppna_insatser():
    """22 § LVU: a decision on öppna insatser is first prövat within six months, then every
    six months."""
    got = of_rule(
        "lvu-oppna-insatser",
        ev(1, "lvu_oppna_insatser", "2025-12-19"),
        ev(2, "lvu_oppna_insatser_provat", "2026-06-10"),
    )
    # Fri 19 Dec 2025 + 6 months = Fri 19 Jun 2026 (midsommarafton), Sat midsommardagen,
    # Sunday -> Mon 22 Jun; done Wed 10 Jun, next: + 6 months = Thu 10 Dec 2026.
    assert got == [
        (D("2025-12-19"), D("2026-06-22"), DONE, 2),
        (D("2026-06-10"), D("2026-12-10"), OPEN, None),
    ]


def test_lvu_26_flyttningsforbud():
    """26 § LVU: a flyttningsförbud is considered at least every third month."""
    # Thu 24 Sep 2026 + 3 months = Thu 24 Dec (julafton), 25, 26, Sunday -> Mon 28 Dec.
    assert of_rule("lvu-flyttningsforbud", ev(1, "lvu_flyttningsforbud", "2026-09-24")) == [
        (D("2026-09-24"), D("2026-12-28"), OPEN, None)
    ]
    assert PACK.rule("lvu-flyttningsforbud").recurs is not None


def test_lvu_28_and_29_tillfalligt_flyttningsforbud():
    """28 § with 7 § LVU: a tillfälligt flyttningsförbud goes to the förvaltningsrätt within one
    week; 29 § LVU: the application for flyttningsförbud within two weeks of the court's
    decision."""
    # Fri 27 Mar 2026 + 1 week = Fri 3 Apr (långfredagen), weekend, Mon 6 Apr annandag påsk
    # -> Tue 7 Apr 2026.
    assert of_rule(
        "lvu-tillfalligt-flyttningsforbud",
        ev(1, "lvu_tillfalligt_flyttningsforbud", "2026-03-27"),
    ) == [(D("2026-03-27"), D("2026-04-07"), OPEN, None)]
    # Thu 30 Apr 2026 + 2 weeks = Thu 14 May (Kristi himmelsfärdsdag) -> Fri 15 May 2026.
    assert of_rule(
        "lvu-flyttningsforbud-ansokan",
        ev(1, "lvu_tillfalligt_flyttningsforbud_faststallt", "2026-04-30"),
    ) == [(D("2026-04-30"), D("2026-05-15"), OPEN, None)]


def test_lvu_31_utreseforbud():
    """31 c § LVU: prövning within six months, then continuously; 31 e §: a tillfälligt
    utreseförbud is underställt within one week; 31 f §: the application within four weeks.
    The two deadlines of one decision stay separate."""
    # Sun 6 Jul 2025 + 6 months = Tue 6 Jan 2026 (trettondedag jul) -> Wed 7 Jan 2026.
    assert of_rule("lvu-utreseforbud-provning", ev(1, "lvu_utreseforbud", "2025-07-06")) == [
        (D("2025-07-06"), D("2026-01-07"), OPEN, None)
    ]
    decision = ev(1, "lvu_tillfalligt_utreseforbud", "2026-05-30")
    # Sat 30 May 2026 + 1 week = Sat 6 Jun (nationaldagen) -> Mon 8 Jun 2026.
    assert of_rule("lvu-tillfalligt-utreseforbud", decision) == [
        (D("2026-05-30"), D("2026-06-08"), OPEN, None)
    ]
    # + 4 weeks = Sat 27 Jun -> Mon 29 Jun 2026.
    assert of_rule("lvu-utreseforbud-ansokan", decision) == [
        (D("2026-05-30"), D("2026-06-29"), OPEN, None)
    ]


@pytest.mark.parametrize(
    ("rule_id", "trigger", "closer", "reference"),
    [
        # 27 kap. 2 §: report a missförhållande "genast".
        ("lex-sarah-rapport", "lex_sarah_upptackt", "lex_sarah_rapporterad", "27 kap. 2 §"),
        # 27 kap. 5 §: document and investigate "genast".
        (
            "lex-sarah-utredning",
            "lex_sarah_rapporterad",
            "lex_sarah_utredning_inledd",
            "27 kap. 5 §",
        ),
        # 27 kap. 6 §: report a serious one to IVO "snarast" (no fixed day: from day one).
        ("lex-sarah-ivo", "lex_sarah_allvarligt", "lex_sarah_anmald_ivo", "27 kap. 6 §"),
    ],
)
def test_lex_sarah(rule_id, trigger, closer, reference):
    """Lex Sarah, 27 kap. 2, 5 and 6 §§ SoL (2025:400): deadlines a chef can follow."""
    rule = PACK.rule(rule_id)
    assert rule.legal.new.startswith(reference)
    # Sat 7 Mar 2026: "genast" is the day itself, never moved.
    assert of_rule(rule_id, ev(1, trigger, "2026-03-07")) == [
        (D("2026-03-07"), D("2026-03-07"), OPEN, None)
    ]
    assert of_rule(rule_id, ev(1, trigger, "2026-03-07"), ev(2, closer, "2026-03-09")) == [
        (D("2026-03-07"), D("2026-03-07"), DONE, 2)
    ]
