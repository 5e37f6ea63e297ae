"""Tests for the personal identity number screen."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.screening import Finding, FindingKind, contains_identifier, find_identifiers
from bot.testing.identifiers import grouped, personnummer, with_wrong_check_digit

PNR = FindingKind.PERSONNUMMER
SAM = FindingKind.SAMORDNINGSNUMMER
POSSIBLE = FindingKind.POSSIBLE


def make(date6: str, serial: str = "121", sep: str = "-", century: str = "") -> str:
    """A Luhn-valid number `[CC]YYMMDD<sep>NNNC`."""
    return personnummer(date6, serial, sep, century)


def bad(number: str) -> str:
    """Same number with a wrong check digit."""
    return with_wrong_check_digit(number)


def spans(text: str) -> list[tuple[int, int, FindingKind]]:
    return [(f.start, f.end, f.kind) for f in find_identifiers(text)]


def only(text: str, number: str, kind: FindingKind = PNR) -> None:
    start = text.index(number)
    assert spans(text) == [(start, start + len(number), kind)]


# --- helper sanity -------------------------------------------------------------------------


def test_luhn_helper_known_numbers():
    assert make("121212", "121") == "121212-1212"
    assert make("811228", "987") == "811228-9874"
    assert bad("121212-1212") == "121212-1213"


# --- valid numbers -------------------------------------------------------------------------


def test_personnummer_with_dash():
    only("Klienten har pnr 121212-1212 enligt ansökan.", "121212-1212")


def test_personnummer_unseparated():
    only("Se 1212121212 i akten", "1212121212")


def test_personnummer_plus_separator():
    only("äldre person 121212+1212.", "121212+1212")


def test_personnummer_space_separator():
    only("nr 121212 1212 hittades", "121212 1212")


def test_personnummer_twelve_digits_with_dash():
    only("Barnet 19121212-1212 bor hos mamma", "19121212-1212")


def test_personnummer_twelve_digits_unseparated():
    only("id 201212121212", "201212121212")


def test_personnummer_century_18():
    number = make("960229", "123", century="18")
    only(f"x {number} y", number)


def test_personnummer_other_serials():
    for serial in ("000", "385", "999"):
        number = make("811228", serial)
        only(f"({number})", number)


def test_samordningsnummer():
    number = make("701063", "239")
    assert number == "701063-2391"
    only(f"samordningsnummer {number}", number, SAM)


def test_samordningsnummer_last_day():
    number = make("120191", "482", sep="")
    only(f"har {number} nu", number, SAM)


def test_samordningsnummer_invalid_day_not_flagged():
    assert spans(make("120192", "482")) == []
    assert spans("pnr " + make("120431", "482")) == []
    assert spans("pnr " + make("120491", "482")) == []


def test_offsets_and_column():
    text = "ab " + make("850709", "234")
    [finding] = find_identifiers(text)
    assert (finding.start, finding.end, finding.column) == (3, 14, 4)


def test_multiple_findings_ordered():
    first, second = make("121212", "121"), make("701063", "239", sep="")
    text = f"{first}, {second} och {bad(first)}"
    assert spans(text) == [(0, 11, PNR), (13, 23, SAM)]


def test_adjacent_punctuation():
    number = make("121212", "121")
    for text in (f"[{number}]", f"pnr:{number}.", f"«{number}»", f"{number}!", f"a\n{number}\n"):
        only(text, number)


def test_contains_identifier():
    assert contains_identifier("hej 121212-1212")
    assert not contains_identifier("hej 121212-1213")
    assert not contains_identifier("")


# --- spaced and dashed groupings --------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "1912 12 12 - 1212",
        "121212 - 1212",
        "19121212 - 1212",
        "121212-12 12",
        "12 12 12-1212",
        "1912-12-12-1212",
        "1912-12-12 - 12 12",
        "121212  1212",
        "121212 +1212",
        "19 121212-12-12",
    ],
)
def test_grouped_personnummer(number):
    only(f"Klienten {number} bor", number.removeprefix("19 "))


def test_grouped_helper_and_samordningsnummer():
    number = grouped(make("701063", "239", century="19"))
    assert number == "1970 10 63 - 2391"
    only(f"enhet {number}", number, SAM)
    spaced_tail = grouped(make("811228", "987"), date_sep="", sep="-", tail_sep=" ")
    assert spaced_tail == "811228-98 74"
    only(f"({spaced_tail})", spaced_tail)


def test_grouped_wrong_check_digit_needs_cue_when_ten_digits():
    number = grouped(bad(make("121212")))
    assert spans(f"x {number}") == []
    only(f"pnr {number}", number, POSSIBLE)


def test_twelve_digits_with_wrong_check_digit_refused_without_cue():
    only("enhet 201701022383", "201701022383", POSSIBLE)
    for number in (
        bad(make("121212", century="19")),
        bad(make("701063", "239", sep="", century="19")),
        grouped(bad(make("121212", century="19"))),
    ):
        only(f"x {number} y", number, POSSIBLE)


def test_twelve_digits_wrong_check_digit_needs_valid_date():
    assert spans("201713022383") == []
    assert spans("201702302383") == []
    assert spans("171701022383") == []


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 12:00",
        "2026-11-23 12.00",
        "den 2012-11-23 12:00-13:00",
        "2012-11-23 1200",  # a date and a time without colon: the digits fail Luhn
        "20121123 1200",
        "070-123 45 67",
        "0701-23 45 67",
        "070 12 34 567",
        "+46 70 11 22 33 44",
        "0046 70 11 22 33 44",
        "12 12 12 12 12 12",
        "2026-06-12 - 2026-06-19",
        "2026-06-12 – 19",
        "vecka 12 12 12-12 st",
    ],
)
def test_grouping_boundaries_not_flagged(text):
    assert spans(text) == []


def test_spaced_number_after_other_text_still_flagged():
    number = "12 12 12 - 1212"
    only(f"barn 2: {number}", number)
    only(f"{number}, sedan 3 st", number)


# --- date validity -------------------------------------------------------------------------


def test_invalid_month_not_flagged():
    for date6 in ("121312", "120012"):
        assert spans("pnr " + make(date6)) == []


def test_invalid_day_not_flagged():
    for date6 in ("120431", "120132", "120100", "120230"):
        assert spans("pnr " + make(date6)) == []


def test_leap_day_ten_digits():
    assert spans(make("000229")) == [(0, 11, PNR)]  # 2000
    assert spans(make("040229")) == [(0, 11, PNR)]
    assert spans(make("010229")) == []


def test_leap_day_twelve_digits():
    assert spans(make("000229", century="20")) == [(0, 13, PNR)]
    assert spans(make("000229", century="19")) == []
    assert spans(make("960229", century="18")) == [(0, 13, PNR)]
    assert spans(make("000229", century="18")) == []


def test_other_century_not_flagged():
    assert spans(make("121212", century="17")) == []
    assert spans(make("121212", century="21", sep="")) == []


# --- boundaries ----------------------------------------------------------------------------


def test_longer_digit_run_not_flagged():
    number = make("121212", "121", sep="")
    for text in ("9" + number, number + "9", "121212-12121", "9121212-1212", "1" + number + "1"):
        assert spans(text) == [], text


def test_glued_to_other_number_not_flagged():
    number = make("121212")
    assert spans(f"5-{number}") == []
    assert spans(f"{number}.3") == []
    assert spans(f"{number}-7") == []


def test_sentence_end_after_number_flagged():
    number = make("121212")
    only(f"Det är {number}. Sedan", number)


def test_letters_around_number_flagged():
    number = make("121212")
    only(f"pnr{number}st", number)


# --- possible numbers ----------------------------------------------------------------------


CUES = [
    "pnr",
    "PNR",
    "p-nr",
    "persnr",
    "personnr",
    "personnummer",
    "Personnummer",
    "person nummer",
    "personnumret",
    "samordningsnummer",
    "samordningsnr",
    "samnr",
    "födelsenummer",
    "född",
    "Född",
    "f.",
    "födelsedatum",
    "SSN",
]


@pytest.mark.parametrize("cue", CUES)
def test_possible_with_cue(cue):
    number = bad(make("121212"))
    only(f"Hen är {cue} {number} tror jag", number, POSSIBLE)


def test_possible_after_pnr_colon():
    number = bad(make("850709", "234", sep=""))
    only(f"pnr:{number}", number, POSSIBLE)


def test_possible_samordningsnummer_shape():
    number = bad(make("701063", "239"))
    only(f"samnr {number}", number, POSSIBLE)


def test_possible_decomposed_o_umlaut():
    number = bad(make("121212"))
    only(f"fo\u0308dd {number}", number, POSSIBLE)


def test_luhn_failure_without_cue_not_flagged():
    assert spans("Referens " + bad(make("121212"))) == []


def test_cue_too_far_not_flagged():
    number = bad(make("121212"))
    assert spans(f"pnr {'x' * 40} {number}") == []
    only(f"pnr {'x' * 10} {number}", number, POSSIBLE)


def test_cue_needs_word_boundary():
    number = bad(make("121212"))
    assert spans(f"ref. {number}") == []
    assert spans(f"kapnr {number}") == []
    assert spans(f"pnrx {number}") == []


def test_cue_after_number_not_enough():
    assert spans(bad(make("121212")) + " pnr") == []


def test_possible_needs_valid_date():
    assert spans("pnr: 991399-1213") == []
    assert spans("pnr: 120230-1213") == []


# --- unicode -------------------------------------------------------------------------------


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2011", "\u2212"])
def test_unicode_dashes(dash):
    number = make("121212", sep=dash)
    only(f"pnr {number}", number)


def test_fullwidth_digits():
    number = "１２１２１２－１２１２"
    only(f"pnr {number}", number)


def test_arabic_indic_digits():
    number = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in make("121212"))
    only(f"x {number}", number)


def test_no_break_space_separator():
    number = make("121212", sep="\u00a0")
    only(f"x {number}", number)


def test_offsets_refer_to_original_text():
    # "ﬁ" and "ﬀ" expand under NFKC; offsets must still index the original string.
    number = "１２１２１２–１２１２"
    text = f"ﬁﬀ ﬁle {number} ﬁn"
    [finding] = find_identifiers(text)
    assert text[finding.start : finding.end] == number


def test_superscript_digits_not_flagged():
    assert spans("¹²¹²¹²-¹²¹²") == []


# --- must not trip -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mötet är 2026-06-12.",
        "Beslut 12/6 2026 om bistånd",
        "2026-06-12T08:00:00",
        "2026-06-12T08:00:00+02:00",
        "2026-06-12 08:00",
        "den 2026-06-12 kl 08:00",
        "K7QM-3XTP",
        "ärendekod 1234-5678",
        "IFO 2026/1234",
        "SN 2025-00123",
        "1 234 567 kr",
        "123 45 Stockholm",
        "kl 08:00",
        "070-123 45 67",
        "070-1234567",
        "070 123 45 67",
        "08-123 456 78",
        "+46 70 123 45 67",
        "+46701234567",
        "0046701234567",
    ],
)
def test_common_numbers_not_flagged(text):
    assert spans(text) == []


PHONE = make("070123", "456", sep="")  # Luhn-valid *and* a plausible mobile number


PHONE_CUES = ["tel", "Tel.", "telefon", "tfn", "mobil", "mobilnr", "mob", "ring", "sms"]


@pytest.mark.parametrize("cue", [*PHONE_CUES, "nr för kontakt"])
def test_phone_number_not_flagged(cue):
    assert spans(f"{cue} {PHONE}") == []
    assert spans(f"{cue}: {PHONE}") == []


def test_phone_cue_too_far():
    only(f"tel {'x' * 30} {PHONE}", PHONE)


def test_phone_cue_needs_whole_word():
    only(f"mobbning {PHONE}", PHONE)
    only(f"hotel {PHONE}", PHONE)


def test_unseparated_number_without_phone_cue_flagged():
    # Documented trade-off: privacy wins over a phone number without a cue.
    only(f"kontakta {PHONE}", PHONE)


def test_pnr_cue_closer_than_phone_cue_wins():
    only(f"tel och pnr {PHONE}", PHONE)
    assert spans(f"pnr och tel {PHONE}") == []


def test_phone_cue_does_not_hide_non_phone_shapes():
    number = make("121212", sep="")
    only(f"tel {number}", number)  # Swedish phone numbers start with 0
    twelve = make("070123", "456", sep="", century="20")
    only(f"tel {twelve}", twelve)


# --- Finding -------------------------------------------------------------------------------


def test_finding_carries_no_text():
    assert [f.name for f in dataclasses.fields(Finding)] == ["start", "end", "kind"]
    finding = find_identifiers("pnr 121212-1212")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 0  # type: ignore[misc]


def test_kind_values():
    assert PNR == "personnummer"
    assert SAM == "samordningsnummer"
    assert POSSIBLE == "mojligt_personnummer"


# --- performance ---------------------------------------------------------------------------


def test_large_texts():
    """100 kB of case notes: every valid number found where it is, nothing else; 100 kB of
    digit runs: nothing (how fast: `make bench-screening`)."""
    number = make("121212")
    chunk = (
        f"Klient pnr {number} ringde tel 070-123 45 67 den 2026-06-12 kl 08:00, "
        f"ärende IFO 2026/1234, {bad(make('850709'))} och 1 234 567 kr. "
    )
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    starts = [i * len(chunk) + chunk.index(number) for i in range(len(text) // len(chunk))]
    assert len(starts) == 800
    assert spans(text) == [(start, start + len(number), PNR) for start in starts]
    assert find_identifiers(("1234567890 " * 10_000)[:100_000]) == []


# --- property tests ------------------------------------------------------------------------

WORDS = [
    "hej", "klienten", "har", "möte", "på", "måndag", "och", "ärendet", "gäller",
    "bistånd", "vårdnadshavare", "beslut", "utredning", "skolan", "är", "inte", "klar",
    "Öppen", "insats", "LVU", "SoL", "enligt", "handläggare", "kl", "om", "vecka",
]  # fmt: skip
GLUE = [" ", " ", " ", ", ", ". ", ": ", "\n", " (", ") "]
SEPARATORS = ["-", "+", " ", "", "\u2013", "\u2014", "\u2011"]

words = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
glue = st.sampled_from(GLUE)


@st.composite
def identity_numbers(draw):
    """(text of the number, kind) for any valid personnummer or samordningsnummer."""
    twelve = draw(st.booleans())
    low = dt.date(1800, 1, 1) if twelve else dt.date(1900, 1, 1)
    date = draw(st.dates(min_value=low, max_value=dt.date(2099, 12, 31)))
    samordning = draw(st.booleans())
    day = date.day + (60 if samordning else 0)
    date6 = f"{date.year % 100:02d}{date.month:02d}{day:02d}"
    serial = f"{draw(st.integers(0, 999)):03d}"
    century = f"{date.year // 100}" if twelve else ""
    number = make(date6, serial, sep=draw(st.sampled_from(SEPARATORS)), century=century)
    if draw(st.booleans()):
        number = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    return number, SAM if samordning else PNR


@settings(max_examples=200, deadline=None)
@given(identity_numbers(), words, glue, glue, words)
def test_property_valid_numbers_found(item, before, glue1, glue2, after):
    number, kind = item
    prefix = before + glue1
    text = prefix + number + glue2 + after
    assert spans(text) == [(len(prefix), len(prefix) + len(number), kind)]


@settings(max_examples=200, deadline=None)
@given(
    identity_numbers(),
    st.sampled_from(["", " ", "-"]),
    st.sampled_from(["", " ", "-", "+", " - ", "- ", " +", "  "]),
    st.sampled_from(["", " ", "-"]),
    words,
    glue,
    words,
)
def test_property_grouped_numbers_found(item, date_sep, sep, tail_sep, before, glue1, after):
    number, kind = item
    number = grouped(number, date_sep, sep, tail_sep)
    prefix = f"{before}{glue1}"
    text = f"{prefix}{number}. {after}"
    assert spans(text) == [(len(prefix), len(prefix) + len(number), kind)]


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("0123456789-+ /.:–１２pnr"),
            st.characters(),
        ),
        max_size=300,
    )
)
def test_property_arbitrary_text_well_formed(text):
    findings = find_identifiers(text)
    previous_end = 0
    for finding in findings:
        assert previous_end <= finding.start < finding.end <= len(text)
        assert 10 <= finding.end - finding.start <= 18
        assert isinstance(finding.kind, FindingKind)
        previous_end = finding.end
    assert contains_identifier(text) == bool(findings)


def _two(n: int) -> str:
    return f"{n:02d}"


@st.composite
def harmless_numbers(draw):
    """ISO dates, date-times and Swedish phone numbers in common formats."""
    digit = st.integers(0, 9).map(str)
    date = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    iso = date.isoformat()
    subscriber = "".join(draw(st.lists(digit, min_size=7, max_size=7)))
    area = draw(st.sampled_from(["70", "72", "73", "76", "79"]))
    land = "".join(draw(st.lists(digit, min_size=8, max_size=8)))
    s = subscriber
    cue = draw(st.sampled_from(["tel", "mobil", "ring", "sms", "tfn:", "Telefon"]))
    options = [
        iso,
        f"{iso}T{_two(hour)}:{_two(minute)}:00",
        f"{iso} {_two(hour)}:{_two(minute)}",
        f"{date.day}/{date.month} {date.year}",
        f"{_two(hour)}:{_two(minute)}",
        f"0{area}-{s[:3]} {s[3:5]} {s[5:]}",
        f"0{area}-{s}",
        f"0{area} {s[:3]} {s[3:5]} {s[5:]}",
        f"08-{land[:3]} {land[3:6]} {land[6:]}",
        f"+46 {area} {s[:3]} {s[3:5]} {s[5:]}",
        f"+46{area}{s}",
        f"{cue} 0{area}{s}",
        f"{cue} {make(f'070{s[:3]}', s[3:6], sep='')}",  # Luhn-valid, often a valid date
    ]
    return draw(st.sampled_from(options))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(words, glue, harmless_numbers()), min_size=1, max_size=4), words)
def test_property_dates_and_phones_not_flagged(parts, tail):
    text = "".join(w + g + n + " " for w, g, n in parts) + tail
    assert find_identifiers(text) == []


@settings(max_examples=200, deadline=None)
@given(identity_numbers(), words, st.booleans())
def test_property_finding_repr_has_no_digits(item, before, possible):
    number, _ = item
    if possible:
        number = bad(number)
    text = f"{before} pnr {number}"
    [finding] = find_identifiers(text)
    digits = "".join(c for c in text[finding.start : finding.end] if c.isdigit())
    ascii_digits = "".join(str(int(c)) for c in digits)
    for rendered in (repr(finding), str(finding), repr([finding])):
        assert number not in rendered
        assert ascii_digits[-10:-4] not in rendered  # date part
        assert ascii_digits[-4:] not in rendered  # last four


_CELL = st.text(alphabet="0123456789-+ .:/;x\u2013\u00a0pnrtel", max_size=16)


@given(st.lists(_CELL, min_size=1, max_size=5))
@settings(max_examples=300)
def test_one_search_over_cells_finds_what_each_cell_holds(cells):
    from bot.domain.screening import first_with_identifier

    expected = next((i for i, cell in enumerate(cells) if find_identifiers(cell)), None)
    assert first_with_identifier(cells) == expected


def test_a_number_is_not_made_of_two_cells():
    from bot.domain.screening import first_with_identifier

    assert first_with_identifier(["121212", "1212"]) is None
    assert first_with_identifier(["IFO 1/26", "U0B010001", "2026-01-05"]) is None
    assert first_with_identifier(["x", "121212-1212", "5"]) == 1
