"""Fuzzing the chat service with hypothesis against a real database: any command text and any
form input gives a Swedish answer, never an exception."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.domain import commands as c
from bot.ports.conversation import Answer, Caller, FormResult
from tests.factories import add_person, code_of, import_rows

NORD = "Barn och unga Nord"
ANNA, DAN = "U0ANNA001", "U0DAN0001"
SWEDISH = re.compile(
    r"[åäöÅÄÖ]|\b(i|en|ett|det|den|som|att|med|ingen|inga|du|och|inte|har|jag|din|dina|"
    r"skriv|frist|frister|kod|välj)\b",
    re.I,
)
ENGLISH = re.compile(r"\b(the|you|your|deadlines?|case|not|is|of|write|choose)\b", re.I)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_swedish(text: str, typed: str = "") -> None:
    """Swedish words, and no English ones once what the user typed is taken out."""
    assert text.strip()
    rest = re.sub(r"”[^”]*”", " ", text)  # echoes are quoted
    for token in sorted(unicodedata.normalize("NFKC", typed).split(), key=len, reverse=True):
        if len(token) >= 3:
            rest = rest.replace(token[:60], " ").replace(token[:40], " ")
    assert SWEDISH.search(text), text
    assert not ENGLISH.search(rest), text


def answer_text(answer: Answer) -> str:
    parts = [m.text for m in answer.messages]
    if answer.form is not None:
        parts.append(answer.form.title)
    return "\n".join(parts)


@pytest.fixture
async def chat(settings, engine):
    clock = FixedClock(datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm")))
    app = App(settings, clock=clock, engine_override=engine)
    await add_person(engine, ANNA, "handlaggare", NORD)
    await add_person(engine, DAN, "chef", NORD)
    await import_rows(
        app,
        ("IFO 1", NORD, ANNA, "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 2", NORD, ANNA, "utredning_inledd", date(2026, 5, 4)),
    )
    return app.chat()


CODES = [code_of("IFO 1"), code_of("IFO 2"), "ZZZZ-ZZZZ"]
WORDS = st.one_of(
    st.sampled_from(sorted(c.ALIASES)),
    st.sampled_from(
        [
            *CODES,
            "utredning",
            "skydd",
            "2026-10-02",
            "2026-02-30",
            "<@U0DAN0001|dan>",
            "av",
            "visa",
            "Barn",
            "19121212-1212",
        ]
    ),
    st.text(max_size=15),
)


@FUZZ
@given(text=st.text(max_size=200), who=st.sampled_from([ANNA, DAN]))
async def test_any_text(chat, text, who):
    answer = await chat.command(Caller(who, "C0KANAL01"), text)
    assert_swedish(answer_text(answer), text)


@FUZZ
@given(words=st.lists(WORDS, max_size=7), who=st.sampled_from([ANNA, DAN]))
async def test_command_like_text(chat, words, who):
    text = " ".join(words)
    answer = await chat.command(Caller(who, "C0KANAL01"), text)
    assert_swedish(answer_text(answer), text)


FIELD = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        [
            *CODES,
            "anmalan_inkom",
            "utredning",
            "chef",
            "utskott",
            "handlaggare",
            "2026-06-15",
            "2026-10-02",
            "2027-01-01",
            "nytt",
            ANNA,
            DAN,
            "U0NOBODY1",
            "19121212-1212",
        ]
    ),
)
FORM_FIELDS = (
    "handelse",
    "datum",
    "kod",
    "nytt",
    "niva",
    "handlaggare",
    "regel",
    "skal",
    "beslutsfattare",
)


@FUZZ
@given(
    kind=st.sampled_from(["ny", "forlang", "omfordela", "x"]),
    values=st.fixed_dictionaries({}, optional={name: FIELD for name in FORM_FIELDS}),
    state=st.fixed_dictionaries({}, optional={"kod": FIELD, "regel": FIELD}),
    who=st.sampled_from([ANNA, DAN]),
)
async def test_any_form_input(chat, kind, values, state, who):
    state = {k: v for k, v in state.items() if v is not None}
    errors = chat.validate_form(kind, values)
    for message in errors.values():
        assert_swedish(message)
    result = await chat.submit_form(Caller(who), kind, values, state)
    assert isinstance(result, FormResult)
    if result.errors:
        for message in result.errors.values():
            assert_swedish(message)
    else:
        assert result.view is not None
        texts = [result.view.title, result.view.intro.text if result.view.intro else ""]
        typed = " ".join(v for v in [*values.values(), *state.values()] if v)
        assert_swedish(" ".join(texts), typed)
