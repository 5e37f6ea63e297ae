"""Deriving deadlines from a case's events, and reconciling them with what is stored."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import swedish_calendar
from bot.domain.deadlines import (
    CaseEvent,
    DeadlineChanges,
    DerivedDeadline,
    Status,
    StoredDeadline,
    derive_deadlines,
    derive_for_rule,
    reconcile,
)
from bot.domain.rules import load_rule_pack

CAL = swedish_calendar()
PACK = load_rule_pack()
OPEN, DONE, CANCELLED = Status.OPEN, Status.DONE, Status.CANCELLED


def ev(event_id: int, kind: str, day: str) -> CaseEvent:
    assert kind in PACK.events, kind
    return CaseEvent(event_id, kind, date.fromisoformat(day))


def derive(*events: CaseEvent) -> dict[tuple[str, int, int], DerivedDeadline]:
    derived = derive_deadlines(list(events), PACK, CAL)
    by_key = {d.key: d for d in derived}
    assert len(by_key) == len(derived)
    return by_key


def of_rule(rule_id: str, *events: CaseEvent) -> list[DerivedDeadline]:
    return derive_for_rule(PACK.rule(rule_id), list(events), CAL)


def summary(d: DerivedDeadline) -> tuple:
    return (d.trigger_date, d.last_day, d.status, d.closing_event_id)


def store(derived: list[DerivedDeadline], first_id: int = 100) -> list[StoredDeadline]:
    return [
        StoredDeadline(
            id=first_id + n,
            key=d.key,
            trigger_date=d.trigger_date,
            calendar_last_day=d.calendar_last_day,
            last_day=d.last_day,
            status=d.status,
            closed_on=d.closed_on,
            closing_event_id=d.closing_event_id,
        )
        for n, d in enumerate(derived)
    ]


D = date.fromisoformat


# --- opening and closing ----------------------------------------------------------------


def test_anmalan_opens_two_deadlines():
    got = derive(ev(1, "anmalan_inkom", "2026-06-12"))
    assert set(got) == {("skyddsbedomning", 1, 1), ("forhandsbedomning", 1, 1)}
    # Skyddsbedömning genast: the same day.
    skydd = got[("skyddsbedomning", 1, 1)]
    assert summary(skydd) == (D("2026-06-12"), D("2026-06-12"), OPEN, None)
    # 12 Jun 2026 + 14 days = Fri 26 Jun, a working day.
    forhand = got[("forhandsbedomning", 1, 1)]
    assert summary(forhand) == (D("2026-06-12"), D("2026-06-26"), OPEN, None)
    assert forhand.closed_on is None


def test_forhandsbedomning_shifted_last_day():
    got = derive(ev(7, "anmalan_inkom", "2026-12-17"))[("forhandsbedomning", 7, 1)]
    # 17 Dec + 14 days = Thu 31 Dec (nyårsafton) -> Mon 4 Jan 2027 per 1930:173.
    assert got.calendar_last_day == D("2026-12-31")
    assert got.last_day == D("2027-01-04")


def test_same_day_lower_id_closes():
    anmalan = ev(2, "anmalan_inkom", "2026-03-02")
    inledd = ev(1, "utredning_inledd", "2026-03-02")
    for events in ([anmalan, inledd], [inledd, anmalan]):
        got = derive(*events)
        forhand = got[("forhandsbedomning", 2, 1)]
        assert (forhand.status, forhand.closing_event_id) == (DONE, 1)
        assert forhand.closed_on == D("2026-03-02")
        # The utredning itself is open: 2 Mar + 4 months = Tue 2 Jul 2026.
        assert summary(got[("utredning", 1, 1)]) == (D("2026-03-02"), D("2026-07-02"), OPEN, None)


def test_closer_before_trigger_does_not_close():
    got = derive(ev(1, "utredning_inledd", "2026-03-01"), ev(2, "anmalan_inkom", "2026-03-02"))
    assert summary(got[("forhandsbedomning", 2, 1)]) == (
        D("2026-03-02"),
        D("2026-03-16"),  # Mon 2 Mar + 14 days = Mon 16 Mar
        OPEN,
        None,
    )


def test_two_anmalningar_one_utredning():
    got = derive(
        ev(1, "anmalan_inkom", "2026-03-02"),
        ev(2, "anmalan_inkom", "2026-03-09"),
        ev(3, "utredning_inledd", "2026-03-12"),
    )
    forhand = [d for d in got.values() if d.rule_id == "forhandsbedomning"]
    # Mon 2 Mar + 14 = Mon 16 Mar; Mon 9 Mar + 14 = Mon 23 Mar; both closed by event 3.
    assert [summary(d) for d in forhand] == [
        (D("2026-03-02"), D("2026-03-16"), DONE, 3),
        (D("2026-03-09"), D("2026-03-23"), DONE, 3),
    ]
    assert [d.trigger_event_id for d in forhand] == [1, 2]


def test_new_utredning_after_avslutad():
    got = of_rule(
        "utredning",
        ev(1, "utredning_inledd", "2026-01-12"),
        ev(2, "utredning_avslutad", "2026-04-20"),
        ev(3, "utredning_inledd", "2026-09-07"),
    )
    # Mon 12 Jan + 4 m = Tue 12 May (done 20 Apr); Mon 7 Sep + 4 m = Thu 7 Jan 2027.
    assert [(d.key, summary(d)) for d in got] == [
        (("utredning", 1, 1), (D("2026-01-12"), D("2026-05-12"), DONE, 2)),
        (("utredning", 3, 1), (D("2026-09-07"), D("2027-01-07"), OPEN, None)),
    ]


def test_new_utredning_same_day_as_avslutad():
    # The first utredning is closed and a new one opened the same day (ids in entry order).
    # Event 2 already closed utredning 1; it must not also mark the new utredning done at
    # birth, or its four months disappear silently.
    got = of_rule(
        "utredning",
        ev(1, "utredning_inledd", "2026-01-12"),
        ev(2, "utredning_avslutad", "2026-04-20"),
        ev(3, "utredning_inledd", "2026-04-20"),
    )
    assert [(d.key, d.status) for d in got] == [
        (("utredning", 1, 1), DONE),
        (("utredning", 3, 1), OPEN),
    ]


def test_cancelled_on():
    got = derive(ev(1, "anmalan_inkom", "2026-06-12"), ev(2, "arende_avslutat", "2026-06-15"))
    for key in (("skyddsbedomning", 1, 1), ("forhandsbedomning", 1, 1)):
        assert (got[key].status, got[key].closing_event_id) == (CANCELLED, 2)
        assert got[key].closed_on == D("2026-06-15")


def test_first_event_wins():
    # Förhandsbedömning klar (done) before the case is closed (cancelled): done.
    got = of_rule(
        "forhandsbedomning",
        ev(1, "anmalan_inkom", "2026-06-12"),
        ev(3, "arende_avslutat", "2026-06-20"),
        ev(2, "forhandsbedomning_klar", "2026-06-18"),
    )
    assert [(d.status, d.closing_event_id) for d in got] == [(DONE, 2)]


def test_unrelated_events_give_nothing():
    # No placement, no anmälan: an övervägande or a closed case alone triggers nothing.
    got = derive(
        ev(1, "overvagande_genomfort", "2026-06-12"), ev(2, "arende_avslutat", "2026-06-13")
    )
    assert got == {}


# --- recurrence ---------------------------------------------------------------------------

PLACERING = [
    ev(1, "placering_verkstalld", "2026-01-15"),
    ev(2, "overvagande_genomfort", "2026-07-10"),
    ev(3, "overvagande_genomfort", "2027-01-08"),
]


def test_overvagande_recurs():
    got = of_rule("overvagande", *PLACERING)
    assert [d.key for d in got] == [("overvagande", 1, n) for n in (1, 2, 3)]
    assert [summary(d) for d in got] == [
        # Thu 15 Jan 2026 + 6 m = Wed 15 Jul; done Fri 10 Jul.
        (D("2026-01-15"), D("2026-07-15"), DONE, 2),
        # Counted from 10 Jul: + 6 m = Sun 10 Jan 2027 -> Mon 11 Jan (1930:173); done 8 Jan.
        (D("2026-07-10"), D("2027-01-11"), DONE, 3),
        # Counted from Fri 8 Jan 2027: + 6 m = Thu 8 Jul 2027, open.
        (D("2027-01-08"), D("2027-07-08"), OPEN, None),
    ]
    assert got[1].calendar_last_day == D("2027-01-10")
    assert [d.trigger_event_id for d in got] == [1, 1, 1]


def test_placering_upphord_stops_recurrence():
    events = [*PLACERING, ev(4, "placering_upphord", "2027-03-01")]
    got = derive(*reversed(events))
    overvagande = [d for d in got.values() if d.rule_id == "overvagande"]
    assert [(d.occurrence, d.status, d.closing_event_id) for d in overvagande] == [
        (1, DONE, 2),
        (2, DONE, 3),
        (3, CANCELLED, 4),
    ]
    assert overvagande[-1].closed_on == D("2027-03-01")
    # A placement that is not in a familjehem gives no vårdnadsöverflyttning deadline.
    assert all(d.rule_id != "vardnadsoverflyttning" for d in got.values())


def test_vardnadsoverflyttning_from_familjehem():
    got = derive(ev(1, "familjehem_placering", "2026-01-15"))[("vardnadsoverflyttning", 1, 1)]
    # Thu 15 Jan 2026 + 2 y = Sat 15 Jan 2028 -> Mon 17 Jan 2028.
    assert (got.calendar_last_day, got.last_day, got.status) == (
        D("2028-01-15"),
        D("2028-01-17"),
        OPEN,
    )


# --- requires -----------------------------------------------------------------------------


def test_jourhem_after_utredning_with_jourhem():
    got = of_rule(
        "jourhem",
        ev(1, "jourhem_placering", "2026-02-02"),
        ev(2, "utredning_inledd", "2026-02-03"),
        ev(3, "utredning_avslutad", "2026-05-29"),
    )
    # Fri 29 May 2026 + 2 months = Wed 29 Jul.
    assert [(d.key, summary(d)) for d in got] == [
        (("jourhem", 3, 1), (D("2026-05-29"), D("2026-07-29"), OPEN, None))
    ]


def test_jourhem_same_day_applies():
    # Placed in jourhem on the day the utredning ended (entered afterwards): on/before counts.
    got = of_rule(
        "jourhem",
        ev(1, "utredning_avslutad", "2026-05-29"),
        ev(2, "jourhem_placering", "2026-05-29"),
    )
    assert [d.key for d in got] == [("jourhem", 1, 1)]


def test_jourhem_needs_placement_first():
    events = [
        ev(1, "utredning_inledd", "2026-02-03"),
        ev(2, "utredning_avslutad", "2026-05-29"),
        ev(3, "jourhem_placering", "2026-06-01"),
    ]
    assert of_rule("jourhem", *events) == []
    assert all(d.rule_id != "jourhem" for d in derive(*events).values())
    # Without any jourhem placement there is no jourhem deadline either.
    assert of_rule("jourhem", *events[:2]) == []


# --- reconcile ----------------------------------------------------------------------------


def test_corrected_trigger_date_updates():
    stored = store(derive_deadlines([ev(1, "anmalan_inkom", "2026-06-12")], PACK, CAL))
    fresh = derive_deadlines([ev(1, "anmalan_inkom", "2026-06-15")], PACK, CAL)
    changes = reconcile(fresh, stored)
    assert changes.insert == []
    assert changes.orphaned == []
    updated = {d.rule_id: (row_id, d) for row_id, d in changes.update}
    ids = {s.key[0]: s.id for s in stored}
    assert set(updated) == {"skyddsbedomning", "forhandsbedomning"}
    assert updated["forhandsbedomning"][0] == ids["forhandsbedomning"]
    # Mon 15 Jun + 14 days = Mon 29 Jun.
    assert updated["forhandsbedomning"][1].last_day == D("2026-06-29")
    assert updated["skyddsbedomning"][1].last_day == D("2026-06-15")


def test_unchanged_derivation_no_changes():
    events = [
        *PLACERING,
        ev(4, "anmalan_inkom", "2026-06-12"),
        ev(5, "utredning_inledd", "2026-06-20"),
    ]
    derived = derive_deadlines(events, PACK, CAL)
    assert reconcile(derived, store(derived)) == DeadlineChanges([], [], [])


def test_new_event_inserts_and_updates():
    before = derive_deadlines([ev(1, "anmalan_inkom", "2026-06-12")], PACK, CAL)
    stored = store(before)
    after = derive_deadlines(
        [ev(1, "anmalan_inkom", "2026-06-12"), ev(2, "utredning_inledd", "2026-06-18")], PACK, CAL
    )
    changes = reconcile(after, stored)
    # The utredning (4 months) and the information to those concerned (genast, 20 kap. 4 §).
    assert [d.key for d in changes.insert] == [("utredning", 2, 1), ("utredning-information", 2, 1)]
    forhand_id = next(s.id for s in stored if s.key[0] == "forhandsbedomning")
    assert [(row_id, d.status, d.closing_event_id) for row_id, d in changes.update] == [
        (forhand_id, DONE, 2)
    ]


def test_closed_by_hand_stays_done():
    derived = derive_deadlines([ev(1, "anmalan_inkom", "2026-06-12")], PACK, CAL)
    stored = [
        s
        if s.key[0] != "forhandsbedomning"
        else StoredDeadline(**{**s.__dict__, "status": DONE, "closed_on": D("2026-06-19")})
        for s in store(derived)
    ]
    assert reconcile(derived, stored) == DeadlineChanges([], [], [])
    # A corrected trigger date moves the day but the deadline stays done.
    moved = derive_deadlines([ev(1, "anmalan_inkom", "2026-06-15")], PACK, CAL)
    forhand = [d for _, d in reconcile(moved, stored).update if d.rule_id == "forhandsbedomning"]
    assert [(d.status, d.closed_on, d.last_day) for d in forhand] == [
        (DONE, D("2026-06-19"), D("2026-06-29"))
    ]


def test_gone_key_is_orphaned():
    derived = derive_deadlines([ev(1, "anmalan_inkom", "2026-06-12")], PACK, CAL)
    stored = store(derived)
    # Deadlines of an anmälan (event 9) that has since been deleted: one open, one done.
    gone = derive_deadlines(
        [ev(9, "anmalan_inkom", "2026-05-04"), ev(10, "utredning_inledd", "2026-05-11")], PACK, CAL
    )
    extra = store([d for d in gone if d.rule_id in ("skyddsbedomning", "forhandsbedomning")], 500)
    assert [(s.key, s.status) for s in extra] == [
        (("skyddsbedomning", 9, 1), OPEN),
        (("forhandsbedomning", 9, 1), DONE),
    ]
    changes = reconcile(derived, [*stored, *extra])
    assert changes == DeadlineChanges([], [], [500])


# --- properties ---------------------------------------------------------------------------

TYPES = sorted(PACK.events)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def case_events(draw) -> list[CaseEvent]:
    rows = draw(st.lists(st.tuples(st.sampled_from(TYPES), DAYS), max_size=30))
    count = len(rows)
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    return [CaseEvent(i, kind, day) for i, (kind, day) in zip(ids, rows, strict=True)]


@settings(max_examples=150, deadline=None)
@given(case_events(), st.randoms(use_true_random=False))
def test_derive_properties(events, rnd: random.Random):
    derived = derive_deadlines(events, PACK, CAL)
    by_id = {e.id: e for e in events}
    assert len({d.key for d in derived}) == len(derived)
    chains: dict[tuple[str, int], list[DerivedDeadline]] = defaultdict(list)
    for d in derived:
        assert d.last_day >= d.calendar_last_day >= d.trigger_date
        assert by_id[d.trigger_event_id].type in PACK.rule(d.rule_id).triggers
        if d.status is OPEN:
            assert (d.closed_on, d.closing_event_id) == (None, None)
        else:
            assert d.closed_on == by_id[d.closing_event_id].date >= d.trigger_date
        chains[d.rule_id, d.trigger_event_id].append(d)
    for (rule_id, trigger_id), chain in chains.items():
        assert [d.occurrence for d in chain] == list(range(1, len(chain) + 1))
        # The period runs from the trigger, or (counted_from) from an earlier end event.
        if PACK.rule(rule_id).counted_from:
            assert chain[0].trigger_date <= by_id[trigger_id].date
        else:
            assert chain[0].trigger_date == by_id[trigger_id].date
        # Every occurrence but the last was done, and the next one counts from that day.
        for before, after in itertools.pairwise(chain):
            assert before.status is DONE and PACK.rule(rule_id).recurs is not None
            assert after.trigger_date == before.closed_on
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert derive_deadlines(shuffled, PACK, CAL) == derived
