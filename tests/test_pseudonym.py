"""Case pseudonyms (`ärendekod`): keyed, normalised, Crockford base32, forgiving to type."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.domain.pseudonym import (
    ALLOWED_LENGTHS,
    CROCKFORD,
    Pseudonymiser,
    format_code,
    normalise_reference,
    parse_code,
    random_code,
)
from bot.domain.screening import contains_identifier

KEY = "pseudonym-test-key-0123456789-abcdefghijklmnopqrstuv"
OTHER_KEY = "another-pseudonym-key-0123456789-abcdefghijklmnopq"
GROUP = "[0-9A-HJKMNP-TV-Z]{4}"
CODE_8 = re.compile(rf"^{GROUP}-{GROUP}$")
CODE_12 = re.compile(rf"^{GROUP}-{GROUP}-{GROUP}$")
CODE_16 = re.compile(rf"^{GROUP}-{GROUP}-{GROUP}-{GROUP}$")


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(KEY)


def test_alphabet():
    assert len(CROCKFORD) == len(set(CROCKFORD)) == 32
    assert not set("ILOU") & set(CROCKFORD)


def test_deterministic(pseudonymiser):
    assert pseudonymiser.code("IFO 2026-12") == pseudonymiser.code("IFO 2026-12")
    assert Pseudonymiser(KEY).pseudonym("IFO 2026-12") == pseudonymiser.pseudonym("IFO 2026-12")


def test_known_value():
    """Pinned (HMAC-SHA256 of the normalised reference): a changed derivation orphans every case."""
    pseudonym = Pseudonymiser(KEY, 16).pseudonym("IFO 2026-12")
    assert pseudonym.code == "DRSH-4JB0-DPT9-5TG7"
    assert pseudonym.fingerprint == (
        "89b328e4a4514f1b5ba84f10aa3bb2900002687247dea2fcab25a7a9c11f84fa"
    )
    assert Pseudonymiser(KEY).code("ifo 2026-12") == "DRSH-4JB0"
    assert Pseudonymiser(KEY, 12).code("ifo 2026-12") == "DRSH-4JB0-DPT9"


@pytest.mark.parametrize(
    "variant",
    [
        "ifo 2026-12",
        "IFO2026-12",
        "  IFO  2026-12 ",
        "IFO\t2026-12\n",
        "IFO\u00a02026-12",  # no-break space
        "IFO 2026\u201012",  # hyphen
        "IFO 2026\u201112",  # non-breaking hyphen
        "IFO 2026\u201312",  # en dash
        "IFO 2026\u201412",  # em dash
        "IFO 2026\u221212",  # minus sign
        "ＩＦＯ　２０２６－１２",  # full width (NFKC)
    ],
)
def test_normalised(pseudonymiser, variant):
    assert normalise_reference(variant) == "IFO2026-12"
    assert pseudonymiser.code(variant) == pseudonymiser.code("IFO 2026-12")


def test_case_of_any_letter(pseudonymiser):
    """Lower and upper case give one code for every letter, also where upper() decomposes."""
    for lower in ("ärende", "ΐ", "ΰ"):
        assert pseudonymiser.code(lower) == pseudonymiser.code(lower.upper()), lower
        assert normalise_reference(normalise_reference(lower)) == normalise_reference(lower)


def test_composed_and_decomposed_letters(pseudonymiser):
    composed = "Ärende 2026-12"
    decomposed = "A\u0308rende 2026-12"
    assert pseudonymiser.code(composed) == pseudonymiser.code(decomposed)
    assert pseudonymiser.code(composed) == pseudonymiser.code("ärende 2026-12")


def test_different_references(pseudonymiser):
    codes = {pseudonymiser.code(f"IFO 2026-{n}") for n in range(1, 201)}
    assert len(codes) == 200
    assert pseudonymiser.code("IFO 2026-12") != pseudonymiser.code("IFO 2026-1-2")
    assert pseudonymiser.code("IFO 2026-12") != pseudonymiser.code("IFO 2026-13")


def test_key_dependence(pseudonymiser):
    other = Pseudonymiser(OTHER_KEY)
    assert pseudonymiser.code("IFO 2026-12") != other.code("IFO 2026-12")


@pytest.mark.parametrize(("length", "shape"), [(8, CODE_8), (12, CODE_12), (16, CODE_16)])
def test_format(length, shape):
    code = Pseudonymiser(KEY, length).code("IFO 2026-12")
    assert shape.match(code), code


def test_longer_code_extends_shorter():
    short = Pseudonymiser(KEY, 8).code("IFO 2026-12")
    medium = Pseudonymiser(KEY, 12).code("IFO 2026-12")
    long = Pseudonymiser(KEY, 16).code("IFO 2026-12")
    assert medium.startswith(short + "-")
    assert long.startswith(medium + "-")


def test_fingerprint(pseudonymiser):
    pseudonym = pseudonymiser.pseudonym("IFO 2026-12")
    assert re.fullmatch(r"[0-9a-f]{64}", pseudonym.fingerprint)
    assert pseudonym.fingerprint != pseudonym.code
    assert pseudonym.code.replace("-", "").lower() not in pseudonym.fingerprint
    assert pseudonymiser.pseudonym("ifo2026-12").fingerprint == pseudonym.fingerprint
    assert pseudonymiser.pseudonym("IFO 2026-13").fingerprint != pseudonym.fingerprint
    assert Pseudonymiser(OTHER_KEY).pseudonym("IFO 2026-12").fingerprint != pseudonym.fingerprint


def test_fingerprint_independent_of_length():
    assert (
        Pseudonymiser(KEY, 8).pseudonym("IFO 1").fingerprint
        == Pseudonymiser(KEY, 16).pseudonym("IFO 1").fingerprint
    )


@pytest.mark.parametrize("reference", ["", "   ", "\t\n", "\u3000", "\u00a0"])
def test_empty_reference_raises(pseudonymiser, reference):
    with pytest.raises(ValueError):
        pseudonymiser.code(reference)


def test_short_key_raises():
    Pseudonymiser("k" * 32)
    with pytest.raises(ValueError):
        Pseudonymiser("k" * 31)
    with pytest.raises(ValueError):
        Pseudonymiser("")


@pytest.mark.parametrize("length", [0, 4, 10, 20])
def test_bad_length_raises(length):
    with pytest.raises(ValueError):
        Pseudonymiser(KEY, length)


# ---- typing a code back ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("K7QM-3XTP", "K7QM-3XTP"),
        ("k7qm-3xtp", "K7QM-3XTP"),
        ("K7QM3XTP", "K7QM-3XTP"),
        (" k7qm 3xtp ", "K7QM-3XTP"),
        ("K7QM--3XTP", "K7QM-3XTP"),
        ("oO1l-Ii00", "0011-1100"),
        ("K7QM-3XTP-A1B2", "K7QM-3XTP-A1B2"),
        ("k7qm3xtpa1b2c3d4", "K7QM-3XTP-A1B2-C3D4"),
    ],
)
def test_parse_code(typed, code):
    assert parse_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "K7QM-3XTU",  # U is not Crockford
        "K7QM-3XT",  # 7
        "K7QM-3XTPA",  # 9
        "K7QM-3XTP-A1B",  # 11
        "K7QM-3XTP-A1B2-C3D4-E",  # 17
        "K7QM-3XT*",
        "K7QM-3XTÅ",
        "IFO 2026-12",
    ],
)
def test_parse_code_rejects(typed):
    assert parse_code(typed) is None


def test_format_code():
    assert format_code("K7QM3XTP") == "K7QM-3XTP"
    assert format_code("K7QM3XTPA1B2") == "K7QM-3XTP-A1B2"


@pytest.mark.parametrize(("length", "shape"), [(8, CODE_8), (12, CODE_12), (16, CODE_16)])
def test_random_code_format(length, shape):
    assert all(shape.match(random_code(length)) for _ in range(200))


def test_random_code_default_length():
    assert CODE_8.match(random_code())


def test_random_codes_unique():
    codes = {random_code() for _ in range(10_000)}
    # 40 random bits: one birthday collision in 10 000 draws happens once in ~20 000 runs,
    # two practically never; a weak generator would collide far more often.
    assert len(codes) >= 9_999
    assert all(parse_code(code) == code for code in codes)
    assert not any(contains_identifier(code) for code in codes)


# ---- properties ------------------------------------------------------------------------------

references = st.text(min_size=1, max_size=40)
keys = st.text(min_size=32, max_size=64)
lengths = st.sampled_from([8, 12, 16])
# What a diary number can realistically hold: Latin letters (Swedish included), digits in any
# script, spaces, dashes, slashes, full-width forms.
realistic = st.text(
    alphabet=st.characters(codec="latin-1", categories=("Lu", "Ll", "Nd", "Zs", "Pd", "Po"))
    | st.sampled_from("\u2010\u2011\u2013\u2014\u2212\u3000ＡＢＣａｂｃ０１２９－／"),
    min_size=1,
    max_size=30,
)


@given(reference=references, key=keys, length=lengths)
def test_any_code_round_trips_and_is_no_identifier(reference, key, length):
    assume(normalise_reference(reference))
    code = Pseudonymiser(key, length).code(reference)
    assert parse_code(code) == code
    assert parse_code(code.lower().replace("-", "")) == code
    assert not contains_identifier(code)
    assert not contains_identifier(f"Ärende {code}, pnr {code}")


@given(
    raw=st.sampled_from([8, 12, 16]).flatmap(
        lambda n: st.text(alphabet=CROCKFORD, min_size=n, max_size=n)
    )
)
def test_any_crockford_string_round_trips(raw):
    code = format_code(raw)
    assert parse_code(code) == code
    assert parse_code(code.lower()) == code
    assert not contains_identifier(code)


@given(reference=realistic)
def test_normalisation_is_stable(reference):
    once = normalise_reference(reference)
    assert normalise_reference(once) == once
    assert normalise_reference(reference.lower()) == normalise_reference(reference.upper())
    assume(once)
    pseudonymiser = Pseudonymiser(KEY)
    assert pseudonymiser.code(reference) == pseudonymiser.code(once)


def test_codes_are_the_leading_five_bit_groups_in_crockford_digits():
    from bot.domain.pseudonym import _encode

    def by_shifts(data: bytes, length: int) -> str:  # the definition, one group at a time
        bits, total = int.from_bytes(data, "big"), len(data) * 8
        return "".join(CROCKFORD[(bits >> (total - 5 * (i + 1))) & 31] for i in range(length))

    samples = [bytes(32), b"\xff" * 32, bytes(range(32)), *(os.urandom(32) for _ in range(200))]
    for data in samples:
        for length in ALLOWED_LENGTHS:
            assert _encode(data, length) == by_shifts(data, length)
    for data in (bytes(10), os.urandom(10)):  # random_code's ten bytes
        assert _encode(data, 16) == by_shifts(data, 16)
