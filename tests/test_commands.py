"""The /frister command language: forgiving Swedish, never an exception."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import commands as c
from bot.domain.markup import mention
from bot.domain.roles import Role

CODE = "K7QM-3XTP"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Mine(14)),
        ("   ", c.Mine(14)),
        ("mina", c.Mine(14)),
        ("30", c.Mine(30)),
        ("vecka", c.Mine(7)),
        ("VECKA", c.Mine(7)),
        ("v", c.Mine(7)),
        ("månad", c.Mine(30)),
        ("försenade", c.Overdue()),
        ("forsenade", c.Overdue()),
        ("FÖRS", c.Overdue()),
        ("sena", c.Overdue()),
        ("team", c.Team()),
        ("team visa", c.Team(show=True)),
        ("Team Visa", c.Team(show=True)),
        ("team Barn och unga Syd", c.Team(enhet="Barn och unga Syd")),
        ("team visa Barn och unga Syd", c.Team(show=True, enhet="Barn och unga Syd")),
        (f"ärende {CODE}", c.ShowCase(CODE)),
        ("arende k7qm3xtp", c.ShowCase(CODE)),
        ("ärende K7QM 3XTP", c.ShowCase(CODE)),
        ("ärende ku7m-3xtp", c.Usage("arende", c.Problem.BAD_CODE)),
        ("ärende ko7m-3xtp", c.ShowCase("K07M-3XTP")),  # o for 0
        (CODE, c.ShowCase(CODE)),
        ("k7qm–3xtp", c.ShowCase(CODE)),  # an en dash, as phones type it
        ("ny", c.Register()),
        ("registrera", c.Register()),
        (f"klar {CODE}", c.MarkDone(CODE)),
        (f"klar {CODE} förhandsbedömning", c.MarkDone(CODE, "förhandsbedömning")),
        ("klar", c.Usage("klar")),
        ("klar 123", c.Usage("klar", c.Problem.BAD_CODE)),
        ("förläng", c.Extend()),
        (f"förläng {CODE}", c.Extend(CODE)),
        (f"forlang {CODE} utredning", c.Extend(CODE, "utredning")),
        (
            f"Förläng {CODE} utredning 2026-12-01 Särskilda skäl: komplettering  behövs",
            c.Extend(CODE, "utredning", date(2026, 12, 1), "Särskilda skäl: komplettering  behövs"),
        ),
        (f"förläng {CODE} utredning 2026-13-01 x", c.Usage("forlang", c.Problem.BAD_DATE)),
        ("frånvaro", c.Absence()),
        ("franvaro av", c.Absence(clear=True)),
        ("frånvaro 2026-07-01", c.Absence(date(2026, 7, 1), date(2026, 7, 1))),
        (
            f"frånvaro 2026-07-01 2026-07-10 {mention('U0BO12345')}",
            c.Absence(date(2026, 7, 1), date(2026, 7, 10), "U0BO12345"),
        ),
        (
            "ledig 2026-07-01 2026-07-10 U0BO12345",
            c.Absence(date(2026, 7, 1), date(2026, 7, 10), "U0BO12345"),
        ),
        ("frånvaro 2026-07-10 2026-07-01", c.Usage("franvaro", c.Problem.BAD_ORDER)),
        ("frånvaro i morgon", c.Usage("franvaro", c.Problem.BAD_DATE)),
        (
            "frånvaro 2026-07-01 2026-07-10 @Bo",
            c.Absence(date(2026, 7, 1), date(2026, 7, 10), substitute_name="Bo"),
        ),
        ("frånvaro 2026-07-01 2026-07-10 Bo", c.Usage("franvaro", c.Problem.BAD_USER)),
        ("frånvaro 2026-07-01 2026-07-10 @<b>", c.Usage("franvaro", c.Problem.BAD_USER)),
        ("statistik", c.Statistics()),
        ("stat Barn och unga Nord", c.Statistics("Barn och unga Nord")),
        ("hjälp", c.Help()),
        ("HJALP", c.Help()),
        ("hj", c.Help()),
        ("help", c.Help()),
        ("?", c.Help()),
        ("admin", c.AdminOverview()),
        ("admin koppla Barn och unga Nord", c.AdminLink("Barn och unga Nord")),
        ("admin koppla av", c.AdminLink(None)),
        ("admin eskalering Barn och unga Nord", c.AdminEscalation("Barn och unga Nord")),
        ("admin eskalering Barn och unga Nord av", c.AdminEscalation("Barn och unga Nord", True)),
        (
            f"admin roll {mention('U0CHEF999')} chef Barn och unga Nord",
            c.AdminRole("U0CHEF999", Role.CHEF, "Barn och unga Nord"),
        ),
        (
            f"admin roll {mention('U0CHEF999')} 1:e",
            c.AdminRole("U0CHEF999", Role.FORSTE_SOCIALSEKRETERARE),
        ),
        (f"admin roll {mention('U0CHEF999')} kung", c.Usage("admin", c.Problem.BAD_ROLE)),
        ("0", c.Usage("dagar", c.Problem.BAD_DAYS)),
        ("400", c.Usage("dagar", c.Problem.BAD_DAYS)),
        ("alla", c.Mine(every=True)),
        ("mina alla", c.Mine(every=True)),
        ("mina 60", c.Mine(60)),
        ("mina ärenden", c.Usage("mina", c.Problem.EXTRA, "ärenden")),
        ("vecka nu", c.Usage("vecka", c.Problem.EXTRA, "nu")),
        ("försenade alla mina", c.Usage("forsenade", c.Problem.EXTRA, "alla mina")),
        ("ny ärende", c.Usage("ny", c.Problem.EXTRA, "ärende")),
        ("hjälp mig", c.Usage("hjalp", c.Problem.EXTRA, "mig")),
        ("team 90", c.Team(days=90)),
        ("team 200", c.Team(days=200)),
        ("team visa 90", c.Team(show=True, days=90)),
        ("team Syd 90", c.Team(enhet="Syd", days=90)),
        ("team 90 Syd", c.Team(enhet="Syd", days=90)),
        ("team 400", c.Usage("team", c.Problem.BAD_DAYS)),
        (f"omfördela {CODE}", c.Reassign(CODE)),
        (f"omfordela {CODE} {mention('U0BO12345')}", c.Reassign(CODE, "U0BO12345")),
        (f"omfördela {CODE} @Bo", c.Reassign(CODE, None, "Bo")),
        (f"omfördela {CODE} @Bo @Cia", c.Usage("omfordela", c.Problem.BAD_USER)),
        ("omfördela", c.Usage("omfordela")),
    ],
)
def test_parse(text, expected):
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("försnade", "försenade"),
        ("statstik", "statistik"),
        ("hälp", "hjälp"),
        ("vekca", "vecka"),
        ("tem", "team"),
    ],
)
def test_unknown_suggests_closest(text, suggestion):
    parsed = c.parse(text)
    assert isinstance(parsed, c.Unknown)
    assert parsed.suggestion == suggestion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (mention("U0BO12345"), "U0BO12345"),
        ("U0BO12345", "U0BO12345"),
        ("6f1c2b9e-3a4d-4e5f-8a7b-0c1d2e3f4a5b", "6f1c2b9e-3a4d-4e5f-8a7b-0c1d2e3f4a5b"),
        (mention("29:1AbC-dEf_9"), "29:1AbC-dEf_9"),
        ("<@U0BO12345|bo>", None),  # the Slack adapter turns this into a neutral mention
        ("<@U0BO12345>", None),
        ("@bo", None),
        (mention("U0BO12345") + "x", None),
    ],
)
def test_parse_user(text, expected):
    assert c.parse_user(text) == expected


@pytest.mark.parametrize("text", ["klra", "frånvar0", "forläng2", "admni", "omfördel4", "nyy"])
def test_unknown_never_suggests_a_change(text):
    parsed = c.parse(text)
    assert isinstance(parsed, c.Unknown)
    assert parsed.suggestion in c.CANONICAL.values() or parsed.suggestion is None
    assert parsed.suggestion not in ("klar", "förläng", "frånvaro", "omfördela", "admin", "ny")


def test_unknown_without_suggestion():
    assert c.parse("xyzzyq") == c.Unknown("xyzzyq", None)


def test_ambiguous_prefix_is_unknown():
    parsed = c.parse("fö")  # försenade, förläng
    assert isinstance(parsed, c.Unknown)


KNOWN = sorted(c.ALIASES)
WORDS = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from([CODE, "2026-06-26", "2026-02-30", mention("U0BO12345"), "av", "visa", "-"]),
    st.text(max_size=12),
)


@given(st.text(max_size=300))
def test_fuzz_never_raises(text):
    assert isinstance(c.parse(text), c.Command)


@given(st.lists(WORDS, max_size=8))
def test_fuzz_words_never_raise(words):
    assert isinstance(c.parse(" ".join(words)), c.Command)
