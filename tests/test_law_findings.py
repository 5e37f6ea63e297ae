"""The rule pack read against the statutes (issue 11, "Wrong today"): one test per finding.

Expected days are computed by hand; lag (1930:173) moves a last day on a Saturday, Sunday,
allmän helgdag, midsommar-, jul- or nyårsafton to the next working day.
"""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import swedish_calendar
from bot.domain.deadlines import CaseEvent, DerivedDeadline, Status, derive_deadlines
from bot.domain.roles import DecisionLevel
from bot.domain.rules import load_rule_pack

CAL = swedish_calendar()
PACK = load_rule_pack()
D = date.fromisoformat


def ev(event_id: int, kind: str, day: str) -> CaseEvent:
    assert kind in PACK.events, kind
    return CaseEvent(event_id, kind, D(day))


def of_rule(rule_id: str, *events: CaseEvent) -> list[DerivedDeadline]:
    return [d for d in derive_deadlines(list(events), PACK, CAL) if d.rule_id == rule_id]


def days(deadlines: list[DerivedDeadline]) -> list[tuple[date, date, Status, int | None]]:
    return [(d.trigger_date, d.last_day, d.status, d.closing_event_id) for d in deadlines]


# --- vårdnadsöverflyttning -------------------------------------------------------------------


def test_vardnadsoverflyttning_only_familjehem():
    """22 kap. 14 § SoL (2025:400), 13 c § LVU: two years counted from when the child "har
    varit placerat i samma familjehem" since the placement was carried out. An HVB or jourhem
    placement does not start the clock."""
    assert (
        of_rule(
            "vardnadsoverflyttning",
            ev(1, "placering_verkstalld", "2026-03-02"),
            ev(2, "jourhem_placering", "2026-03-02"),
            ev(3, "lvu_vard_verkstalld", "2026-04-01"),
        )
        == []
    )
    # Familjehem from Mon 2 Mar 2026: + 2 years = Thu 2 Mar 2028, a working day.
    got = of_rule("vardnadsoverflyttning", ev(1, "familjehem_placering", "2026-03-02"))
    assert days(got) == [(D("2026-03-02"), D("2028-03-02"), Status.OPEN, None)]
    assert PACK.rule("vardnadsoverflyttning").name == "Övervägande om vårdnadsöverflyttning"


def test_vardnadsoverflyttning_restarts_in_another_familjehem():
    """22 kap. 14 § SoL: the two years run in "samma familjehem"; a move to another familjehem
    starts them again."""
    got = of_rule(
        "vardnadsoverflyttning",
        ev(1, "familjehem_placering", "2026-03-02"),
        ev(2, "familjehem_placering", "2027-05-10"),
    )
    # The first home's clock ends with the move; the second runs from Mon 10 May 2027:
    # + 2 years = Thu 10 May 2029, Kristi himmelsfärdsdag (påsk 1 Apr 2029) -> Fri 11 May.
    assert days(got) == [
        (D("2026-03-02"), D("2028-03-02"), Status.CANCELLED, 2),
        (D("2027-05-10"), D("2029-05-11"), Status.OPEN, None),
    ]
    assert got[1].calendar_last_day == D("2029-05-10")


def test_vardnadsoverflyttning_same_home_new_legal_ground():
    """13 c § LVU with 22 kap. 14 § SoL: the time in the same familjehem counts whether the
    child is placed under SoL or LVU; a change of ground (SoL -> LVU) does not restart it."""
    got = of_rule(
        "vardnadsoverflyttning",
        ev(1, "familjehem_placering", "2026-03-02"),
        ev(2, "lvu_vard_verkstalld", "2026-09-01"),
        ev(3, "lvu_vard_upphord", "2027-02-01"),  # back on SoL, still in the same home
    )
    assert days(got) == [(D("2026-03-02"), D("2028-03-02"), Status.OPEN, None)]


def test_vardnadsoverflyttning_same_day_two_homes():
    """Two familjehem placements entered for one day: the later entry replaces the earlier,
    and the later one is not cancelled by the earlier."""
    got = of_rule(
        "vardnadsoverflyttning",
        ev(1, "familjehem_placering", "2026-03-02"),
        ev(2, "familjehem_placering", "2026-03-02"),
    )
    assert [(d.trigger_event_id, d.status) for d in got] == [
        (1, Status.CANCELLED),
        (2, Status.OPEN),
    ]


# --- uppföljning -----------------------------------------------------------------------------


def test_uppfoljning_counts_from_end_of_utredning():
    """23 kap. 5 § SoL (2025:400): the uppföljning ends within six months "från det att
    utredningen ... har avslutats eller placeringen har upphört" - not from the decision."""
    got = of_rule(
        "uppfoljning",
        ev(1, "utredning_avslutad", "2026-02-27"),
        ev(2, "uppfoljning_beslutad", "2026-03-10"),
    )
    # Fri 27 Feb 2026 + 6 months = Thu 27 Aug 2026, a working day (not 10 Sep from the decision).
    assert days(got) == [(D("2026-02-27"), D("2026-08-27"), Status.OPEN, None)]


def test_uppfoljning_counts_from_end_of_placement():
    """23 kap. 5 § SoL: "... eller placeringen har upphört"."""
    got = of_rule(
        "uppfoljning",
        ev(1, "placering_upphord", "2026-06-24"),
        ev(2, "uppfoljning_beslutad", "2026-06-24"),
    )
    # Wed 24 Jun 2026 + 6 months = Thu 24 Dec (julafton), 25 juldagen, 26 annandag jul,
    # Sunday 27 -> Mon 28 Dec 2026.
    assert days(got) == [(D("2026-06-24"), D("2026-12-28"), Status.OPEN, None)]


def test_uppfoljning_ends_when_utredning_opens():
    """23 kap. 5 § with 14 kap. 2 § SoL: an uppföljning ends when a new utredning is opened."""
    got = of_rule(
        "uppfoljning",
        ev(1, "utredning_avslutad", "2026-02-27"),
        ev(2, "uppfoljning_beslutad", "2026-02-27"),
        ev(3, "utredning_inledd", "2026-05-04"),
    )
    assert days(got) == [(D("2026-02-27"), D("2026-08-27"), Status.DONE, 3)]


# --- återkoppling till anmälaren -------------------------------------------------------------


def test_aterkoppling_one_week_after_the_decision():
    """19 kap. 6 § SoL as amended by SFS 2025:1501: the reply is due at the latest one week
    after the decision to open or not open an utredning (not a week after the request)."""
    got = of_rule(
        "aterkoppling-anmalare",
        ev(1, "anmalan_inkom", "2026-02-23"),
        ev(2, "aterkoppling_begard", "2026-03-02"),
        ev(3, "utredning_inledd", "2026-03-06"),
    )
    # Fri 6 Mar 2026 + 1 week = Fri 13 Mar 2026.
    assert days(got) == [(D("2026-03-06"), D("2026-03-13"), Status.OPEN, None)]
    assert of_rule("aterkoppling-anmalare-genast", ev(2, "aterkoppling_begard", "2026-03-02")) == []
    # Not opened (förhandsbedömning klar) on Fri 3 Apr 2026 (långfredagen): + 1 week =
    # Fri 10 Apr 2026, a working day.
    got = of_rule(
        "aterkoppling-anmalare",
        ev(1, "aterkoppling_begard", "2026-03-30"),
        ev(2, "forhandsbedomning_klar", "2026-04-03"),
    )
    assert days(got) == [(D("2026-04-03"), D("2026-04-10"), Status.OPEN, None)]


def test_aterkoppling_genast_after_the_decision():
    """19 kap. 6 § SoL (SFS 2025:1501): asked after the decision, or while an utredning runs,
    the reply is due "genast" - the day of the request, never moved."""
    got = of_rule(
        "aterkoppling-anmalare-genast",
        ev(1, "utredning_inledd", "2026-04-01"),
        ev(2, "aterkoppling_begard", "2026-04-11"),  # a Saturday
    )
    assert days(got) == [(D("2026-04-11"), D("2026-04-11"), Status.OPEN, None)]
    assert (
        of_rule(
            "aterkoppling-anmalare",
            ev(1, "utredning_inledd", "2026-04-01"),
            ev(2, "aterkoppling_begard", "2026-04-11"),
        )
        == []
    )


def test_aterkoppling_no_deadline_before_2026_01_15():
    """19 kap. 6 § SoL before SFS 2025:1501 (in force 15 January 2026) set no time limit."""
    events = [
        ev(1, "aterkoppling_begard", "2026-01-05"),
        ev(2, "utredning_inledd", "2026-01-14"),
        ev(3, "aterkoppling_begard", "2026-01-14"),
    ]
    assert of_rule("aterkoppling-anmalare", *events) == []
    assert of_rule("aterkoppling-anmalare-genast", *events) == []
    # A decision on the first day of the new wording: Thu 15 Jan 2026 + 1 week = Thu 22 Jan.
    got = of_rule(
        "aterkoppling-anmalare",
        ev(1, "aterkoppling_begard", "2026-01-05"),
        ev(2, "forhandsbedomning_klar", "2026-01-15"),
    )
    assert days(got) == [(D("2026-01-15"), D("2026-01-22"), Status.OPEN, None)]
    rule = PACK.rule("aterkoppling-anmalare")
    assert not rule.has_limit(D("2026-01-14")) and rule.has_limit(D("2026-01-15"))


# --- LVU ansökan, jourhem --------------------------------------------------------------------


def test_lvu_ansokan_extension_and_closing():
    """8 § LVU: the application within four weeks of the omhändertagande being carried out;
    8 § andra stycket: the förvaltningsrätt may grant more time, asked for before the four
    weeks run out (9 § 1). Decided by the nämnd or its utskott (30 kap. 7 § 1 SoL); an
    application for fortsatt omhändertagande (9 a § LVU) also closes it."""
    rule = PACK.rule("lvu-ansokan")
    assert rule.extension is not None
    assert "8 § andra stycket LVU" in rule.extension.reason
    assert "förvaltningsrätten" in rule.extension.reason
    assert rule.extension.level is DecisionLevel.UTSKOTT
    assert rule.decision_level is DecisionLevel.UTSKOTT
    # Reminded well before the last day, while there is time to ask the court.
    assert min(s.at.days for s in rule.steps if not s.escalation) <= -10
    got = of_rule(
        "lvu-ansokan",
        ev(1, "lvu_omhandertagande_verkstallt", "2026-05-22"),
        ev(2, "lvu_fortsatt_ansokan", "2026-06-10"),
    )
    # Fri 22 May 2026 + 4 weeks = Fri 19 Jun (midsommarafton), 20 midsommardagen,
    # Sunday 21 -> Mon 22 Jun 2026.
    assert days(got) == [(D("2026-05-22"), D("2026-06-22"), Status.DONE, 2)]


def test_jourhem_reference_and_delegation():
    """22 kap. 4 § andra stycket SoL (2025:400): a jourhem placement at most two months after
    the utredning; an extension may be delegated only to an utskott (30 kap. 6 § 1 SoL)."""
    rule = PACK.rule("jourhem")
    assert rule.legal.new == "22 kap. 4 § andra stycket SoL (2025:400)"
    assert rule.extension is not None and rule.extension.level is DecisionLevel.UTSKOTT


# --- which law is cited ----------------------------------------------------------------------


def test_cite_by_period():
    """SoL (2025:400) transitional rules keep the old law only for appeals and återkrav: a
    period running on or after 1 July 2025 is governed by the new law."""
    rule = PACK.rule("forhandsbedomning")
    # Fri 20 Jun 2025 + 14 days = Fri 4 Jul 2025: runs into the new law.
    assert rule.last_day(D("2025-06-20"), CAL) == D("2025-07-04")
    assert rule.reference(D("2025-06-20"), D("2025-07-04")) == "20 kap. 2 § SoL (2025:400)"
    # Tue 10 Jun 2025 + 14 days = Tue 24 Jun 2025: ended under the old law.
    assert (
        rule.reference(D("2025-06-10"), D("2025-06-24"))
        == "11 kap. 1 a § andra stycket SoL (2001:453)"
    )
    # An utredning opened Mon 3 Mar 2025: + 4 months = Thu 3 Jul 2025, the new law.
    utredning = PACK.rule("utredning")
    last = utredning.last_day(D("2025-03-03"), CAL)
    assert last == D("2025-07-03")
    assert utredning.reference(D("2025-03-03"), last) == "20 kap. 3 § SoL (2025:400)"


def test_lvu_umgange_is_an_overvagande():
    """14 § tredje stycket LVU: the nämnd shall "överväga" at least every three months whether
    a restriction is still needed - an övervägande, not an omprövning."""
    rule = PACK.rule("lvu-umgange")
    assert rule.name.startswith("Övervägande")
    assert "ompröv" not in rule.name.lower()
    assert "ompröv" not in PACK.event_name(rule.closes_on[0]).lower()


def test_every_rule_keeps_its_source():
    """Every rule keeps the words of its paragraph, or a summary marked as one, in the pack."""
    for rule in PACK.rules.values():
        assert bool(rule.quote) != bool(rule.summary), rule.id
        text = rule.source_text
        assert text.startswith("”") if rule.quote else text.startswith("Sammanfattning: "), text
