"""Rule packs: the built-in pack, legal references, municipal files and their error lines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.calendar import swedish_calendar
from bot.domain.periods import Offset, Period
from bot.domain.roles import Role
from bot.domain.rules import RuleError, check_file, load_rule_pack

CAL = swedish_calendar()
PACK = load_rule_pack()

BUILTIN_LENGTHS = {
    "skyddsbedomning": "genast",
    "forhandsbedomning": "14d",
    "utredning": "4m",
    "overvagande": "6m",
    "vardnadsoverflyttning": "2y",
    "uppfoljning": "6m",
    "jourhem": "2m",
    "lvu-understallning": "1w",
    "lvu-ansokan": "4w",
    "lvu-overvagande": "6m",
    "lvu-provning": "6m",
    "lvu-umgange": "3m",
    "aterkoppling-anmalare": "1w",
    "aterkoppling-anmalare-genast": "genast",
    "utredning-information": "genast",
    "vardplan-revidering": "2y",
    "lvu-vardbeslut-verkstallighet": "4w",
    "lvu-fortsatt-omhandertagande": "2m",
    "lvu-uppfoljning": "6m",
    "lvu-oppna-insatser": "6m",
    "lvu-flyttningsforbud": "3m",
    "lvu-tillfalligt-flyttningsforbud": "1w",
    "lvu-flyttningsforbud-ansokan": "2w",
    "lvu-utreseforbud-provning": "6m",
    "lvu-tillfalligt-utreseforbud": "1w",
    "lvu-utreseforbud-ansokan": "4w",
    "lex-sarah-rapport": "genast",
    "lex-sarah-utredning": "genast",
    "lex-sarah-ivo": "genast",
    "ej-verkstallt-beslut": "3m",
    "ej-aterupptaget-beslut": "3m",
    "ordforande-rapport": "nästa sammanträde i nämnden",
}
RECURRING = {
    "overvagande": "6m",
    "vardnadsoverflyttning": "1y",
    "lvu-overvagande": "6m",
    "lvu-provning": "6m",
    "lvu-umgange": "3m",
    "lvu-oppna-insatser": "6m",
    "lvu-flyttningsforbud": "3m",
    "lvu-utreseforbud-provning": "6m",
}

# A valid municipal pack: a new event and a new rule on built-in events. Line numbers matter:
# the error tests below edit one line of it and expect the error on that line.
LOCAL = """\
pack = "kommun"

[event]
hembesok_gjort = "Hembesök i familjehemmet gjort"

[[rule]]
id = "hembesok"
name = "Hembesök i familjehemmet"
trigger = "placering_verkstalld"
length = "30d"
closes_on = ["hembesok_gjort"]
cancelled_on = ["placering_upphord", "arende_avslutat"]
legal = { new = "Lokal riktlinje, nämndbeslut 2026-01-20" }
remind = ["-7d", "0d"]
escalate = [{ at = "+1d", to = "chef", repeat = "1d" }]
"""
LOCAL_LINES = LOCAL.splitlines()


def line_of(text: str, start: str) -> int:
    """1-based number of the (only) line of `text` that starts with `start`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def write(tmp_path: Path, text: str, name: str = "kommun.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_error(tmp_path: Path, text: str) -> RuleError:
    errors = check_file(write(tmp_path, text))
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# --- the built-in pack ------------------------------------------------------------------


def test_builtin_pack_loads():
    assert list(PACK.rules) == list(BUILTIN_LENGTHS)
    assert PACK.sources == ("barn_och_unga.toml",)
    assert PACK.disabled == frozenset()


def test_builtin_lengths():
    assert {rule.id: rule.length_text for rule in PACK.rules.values()} == BUILTIN_LENGTHS


def test_builtin_rules_have_legal_reference():
    for rule in PACK.rules.values():
        assert len(rule.legal.new) >= 3, rule.id
        assert rule.legal.changed == date(2025, 7, 1), rule.id


def test_builtin_events_are_declared():
    for rule in PACK.rules.values():
        used = {*rule.triggers, *rule.closes_on, *rule.cancelled_on, *rule.requires}
        assert used <= set(PACK.events), (rule.id, used - set(PACK.events))


def test_builtin_ladders_remind_and_escalate():
    for rule in PACK.rules.values():
        reminders = [s for s in rule.steps if not s.escalation]
        escalations = [s for s in rule.steps if s.escalation]
        assert reminders and all(s.to is Role.HANDLAGGARE for s in reminders), rule.id
        assert escalations and all(s.to is not Role.HANDLAGGARE for s in escalations), rule.id


def test_builtin_recurring_rules():
    recurring = {r.id: str(r.recurs) for r in PACK.rules.values() if r.recurs is not None}
    assert recurring == RECURRING


def test_builtin_forhandsbedomning_details():
    rule = PACK.rule("forhandsbedomning")
    assert rule.triggers == ("anmalan_inkom",)
    assert rule.closes_on == ("utredning_inledd", "forhandsbedomning_klar")
    assert rule.cancelled_on == ("arende_avslutat",)
    assert rule.extension is not None and rule.extension.reason == "synnerliga skäl"
    assert rule.source == "barn_och_unga.toml"


# --- legal references -------------------------------------------------------------------


def test_reference_before_and_after_new_sol():
    legal = PACK.rule("forhandsbedomning").legal
    # SoL (2025:400) applies to triggers from 1 July 2025.
    assert legal.for_trigger(date(2025, 6, 30)) == "11 kap. 1 a § andra stycket SoL (2001:453)"
    assert legal.for_trigger(date(2025, 7, 1)) == "20 kap. 2 § SoL (2025:400)"
    assert legal.for_trigger(date(2026, 1, 15)) == "20 kap. 2 § SoL (2025:400)"


def test_lvu_reference_has_no_old():
    legal = PACK.rule("lvu-ansokan").legal
    assert legal.old is None
    assert legal.for_trigger(date(2020, 1, 1)) == "8 § LVU (1990:52)"
    assert legal.for_trigger(date(2026, 1, 1)) == "8 § LVU (1990:52)"


# --- public examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "trigger", "expected"),
    [
        # 12 Jun 2026 + 14 days = Fri 26 Jun, a working day.
        ("forhandsbedomning", date(2026, 6, 12), date(2026, 6, 26)),
        # 31 Oct 2025 + 4 months clamps to Sat 28 Feb 2026 -> Mon 2 Mar.
        ("utredning", date(2025, 10, 31), date(2026, 3, 2)),
        # 17 Dec 2026 + 14 days = Thu 31 Dec (nyårsafton), Fri 1 Jan nyårsdagen,
        # weekend -> Mon 4 Jan 2027.
        ("forhandsbedomning", date(2026, 12, 17), date(2027, 1, 4)),
        # Genast: a Sunday stays that Sunday (no shift).
        ("skyddsbedomning", date(2026, 6, 14), date(2026, 6, 14)),
        # Fri 27 Mar 2026 + 1 week = Fri 3 Apr (långfredagen), weekend, Mon 6 Apr annandag
        # påsk -> Tue 7 Apr.
        ("lvu-understallning", date(2026, 3, 27), date(2026, 4, 7)),
        # Thu 17 Dec 2026 + 1 week = Thu 24 Dec (julafton), 25 juldagen, weekend -> Mon 28 Dec.
        ("lvu-understallning", date(2026, 12, 17), date(2026, 12, 28)),
        # Fri 22 May 2026 + 4 weeks = Fri 19 Jun (midsommarafton), 20 midsommardagen,
        # Sunday -> Mon 22 Jun.
        ("lvu-ansokan", date(2026, 5, 22), date(2026, 6, 22)),
        # Mon 1 Jun 2026 + 4 weeks = Mon 29 Jun, a working day.
        ("lvu-ansokan", date(2026, 6, 1), date(2026, 6, 29)),
    ],
)
def test_public_examples(rule_id, trigger, expected):
    assert PACK.rule(rule_id).last_day(trigger, CAL) == expected


def test_recurring_next_last_day():
    # Övervägande done Mon 16 Feb 2026; next one 6 months later: Sun 16 Aug -> Mon 17 Aug.
    got = PACK.rule("overvagande").next_last_day(date(2026, 2, 16), CAL)
    assert (got.calendar_day, got.legal_day) == (date(2026, 8, 16), date(2026, 8, 17))
    with pytest.raises(ValueError):
        PACK.rule("utredning").next_last_day(date(2026, 2, 16), CAL)


# --- checking a municipal file ----------------------------------------------------------


def test_valid_local_file(tmp_path):
    assert check_file(write(tmp_path, LOCAL)) == []


def test_builtin_file_checks_clean():
    builtin = Path(__file__).resolve().parent.parent / "bot" / "rules" / "barn_och_unga.toml"
    assert check_file(builtin) == []


def test_syntax_error_points_at_line(tmp_path):
    text = LOCAL.replace('length = "30d"', 'length = "30d')  # unterminated string
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "length =")
    assert error.message.startswith("Fel i TOML-syntaxen")
    assert error.path == tmp_path / "kommun.toml"


def test_bad_length_points_at_line(tmp_path):
    text = LOCAL.replace('"30d"', '"14x"')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "length =")
    assert "ingen giltig längd" in error.message
    assert str(error) == f"{tmp_path / 'kommun.toml'}:{error.line}: {error.message}"


def test_unknown_key_points_at_line(tmp_path):
    text = LOCAL.replace("remind =", 'farg = "röd"\nremind =')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "farg =")
    assert error.message == "rule.0.farg: okänd nyckel"


def test_unknown_key_starting_with_str_points_at_line(tmp_path):
    # A misspelt key that happens to begin with "str" must be named and located like any other.
    text = LOCAL.replace("remind =", "strikt = true\nremind =")
    error = one_error(tmp_path, text)
    assert error.message == "rule.0.strikt: okänd nyckel"
    assert error.line == line_of(text, "strikt =")


def test_unknown_event_points_at_line(tmp_path):
    text = LOCAL.replace('closes_on = ["hembesok_gjort"]', 'closes_on = ["hembesok_klart"]')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "closes_on =")
    assert error.message == "closes_on: okänd händelse hembesok_klart"


def test_escalation_to_admin_points_at_line(tmp_path):
    text = LOCAL.replace('to = "chef"', 'to = "admin"')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "escalate =")
    assert error.message.startswith("rule.0.escalate.0.to: eskalering går till handlaggare")


def test_rule_id_with_capitals_points_at_line(tmp_path):
    text = LOCAL.replace('id = "hembesok"', 'id = "Hembesok"')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "id =")
    assert "bara små bokstäver, siffror och bindestreck" in error.message


def test_duplicate_rule_id_points_at_second(tmp_path):
    rule = LOCAL[LOCAL.index("[[rule]]") :]
    text = LOCAL + "\n" + rule
    error = one_error(tmp_path, text)
    # The second [[rule]] starts after the original lines and one blank line; its id is next.
    assert error.line == len(LOCAL_LINES) + 3
    assert text.splitlines()[error.line - 1] == 'id = "hembesok"'
    assert error.message == "regeln hembesok finns två gånger i samma fil"


def test_missing_legal_points_at_rule(tmp_path):
    text = LOCAL.replace('legal = { new = "Lokal riktlinje, nämndbeslut 2026-01-20" }\n', "")
    error = one_error(tmp_path, text)
    # No legal line to point at: the [[rule]] header of the rule that lacks it.
    assert error.line == line_of(text, "[[rule]]")
    assert error.message == "rule.0.legal: obligatorisk nyckel saknas"


def test_recurs_with_genast_points_at_line(tmp_path):
    text = LOCAL.replace('"30d"', '"genast"').replace("remind =", 'recurs = "6m"\nremind =')
    error = one_error(tmp_path, text)
    assert error.line == line_of(text, "recurs =")
    assert error.message == "recurs går inte att kombinera med length = genast"


def test_error_in_second_rule_points_into_it(tmp_path):
    second = LOCAL[LOCAL.index("[[rule]]") :].replace('id = "hembesok"', 'id = "hembesok-2"')
    text = LOCAL + "\n" + second.replace('"30d"', '"30 dagar"')
    error = one_error(tmp_path, text)
    # The first rule's length line is fine; the error is on the second one's.
    assert error.line == line_of(text, 'length = "30 dagar"')
    assert error.line > len(LOCAL_LINES)
    assert error.message.startswith("rule.1.length:")


# --- loading with a municipal directory -------------------------------------------------

OVERRIDE = """\
pack = "kommun"
sol_2025_from = 2025-07-01

[[rule]]
id = "forhandsbedomning"
name = "Förhandsbedömning (kommunens stege)"
trigger = "anmalan_inkom"
length = "14d"
closes_on = ["utredning_inledd", "forhandsbedomning_klar"]
cancelled_on = ["arende_avslutat"]
legal = { new = "20 kap. 2 § SoL (2025:400)", old = "11 kap. 1 a § andra stycket SoL (2001:453)" }
remind = ["-10d", "0d"]
escalate = [{ at = "+1d", to = "socialchef" }]
"""


def test_local_rule_replaces_builtin(tmp_path):
    write(tmp_path, OVERRIDE)
    pack = load_rule_pack(local_dir=tmp_path)
    rule = pack.rule("forhandsbedomning")
    assert rule.name == "Förhandsbedömning (kommunens stege)"
    assert rule.source == "kommun.toml"
    assert [s.key for s in rule.steps] == [
        "pam:-10d:handlaggare",
        "pam:0d:handlaggare",
        "esk:+1d:socialchef",
    ]
    # Every other built-in rule is still there, in the same order.
    assert list(pack.rules) == list(BUILTIN_LENGTHS)
    assert pack.sources == ("barn_och_unga.toml", "kommun.toml")
    assert PACK.rule("forhandsbedomning").name == "Förhandsbedömning"


def test_local_override_keeps_old_reference_without_sol_date(tmp_path):
    # The day SoL (2025:400) came into force is a fact of the law, not of the file: a municipal
    # override that gives both references but no sol_2025_from must still cite the old law
    # for an anmälan of 30 June 2025.
    write(tmp_path, OVERRIDE.replace("sol_2025_from = 2025-07-01\n", ""))
    legal = load_rule_pack(local_dir=tmp_path).rule("forhandsbedomning").legal
    assert legal.for_trigger(date(2025, 6, 30)) == "11 kap. 1 a § andra stycket SoL (2001:453)"


def test_local_new_rule_and_event_load(tmp_path):
    write(tmp_path, LOCAL)
    pack = load_rule_pack(local_dir=tmp_path)
    assert list(pack.rules)[-1] == "hembesok"
    assert pack.event_name("hembesok_gjort") == "Hembesök i familjehemmet gjort"
    assert [r.id for r in pack.triggered_by("placering_verkstalld")] == [
        "overvagande",
        "vardplan-revidering",
        "hembesok",
    ]
    # Placed Mon 12 Jan 2026 + 30 days = Wed 11 Feb 2026, a working day.
    assert pack.rule("hembesok").last_day(date(2026, 1, 12), CAL) == date(2026, 2, 11)


def test_disabled_rule_is_removed(tmp_path):
    text = LOCAL.replace('id = "hembesok"', 'id = "aterkoppling-anmalare"').replace(
        "remind =", "enabled = false\nremind ="
    )
    write(tmp_path, text)
    pack = load_rule_pack(local_dir=tmp_path)
    assert "aterkoppling-anmalare" not in pack.rules
    assert pack.disabled == frozenset({"aterkoppling-anmalare"})
    assert len(pack.rules) == len(BUILTIN_LENGTHS) - 1


def test_disable_needs_only_id(tmp_path):
    # Switching a rule off should not require copying every key of the rule.
    write(tmp_path, 'pack = "kommun"\n\n[[rule]]\nid = "aterkoppling-anmalare"\nenabled = false\n')
    pack = load_rule_pack(local_dir=tmp_path)
    assert "aterkoppling-anmalare" not in pack.rules


def test_missing_local_dir_raises(tmp_path):
    with pytest.raises(RuleError) as info:
        load_rule_pack(local_dir=tmp_path / "finns-inte")
    assert info.value.message == "regelmappen finns inte"
    assert info.value.path == tmp_path / "finns-inte"


def test_pack_with_errors_raises(tmp_path):
    write(tmp_path, LOCAL.replace('"30d"', '"14x"'))
    with pytest.raises(RuleError) as info:
        load_rule_pack(local_dir=tmp_path)
    assert info.value.path == tmp_path / "kommun.toml"
    assert info.value.line == line_of(LOCAL, "length =")


def test_local_files_load_in_name_order(tmp_path):
    # b.toml comes after a.toml, so its version of the rule wins.
    write(tmp_path, OVERRIDE, "a.toml")
    write(tmp_path, OVERRIDE.replace("(kommunens stege)", "(senare fil)"), "b.toml")
    pack = load_rule_pack(local_dir=tmp_path)
    assert pack.rule("forhandsbedomning").name == "Förhandsbedömning (senare fil)"
    assert pack.rule("forhandsbedomning").source == "b.toml"


# --- ladders ------------------------------------------------------------------------------


def test_steps_sorted_by_offset():
    for rule in PACK.rules.values():
        days = [step.at.days for step in rule.steps]
        assert days == sorted(days), rule.id


def test_step_keys_unique():
    for rule in PACK.rules.values():
        keys = [step.key for step in rule.steps]
        assert len(keys) == len(set(keys)), rule.id


def test_forhandsbedomning_ladder():
    # remind -7,-3,-1,0; escalate -2 (1:e soc.sekr), 0 (chef), +1 (chef, daily), +7 (socialchef).
    # On the same day a reminder comes before an escalation.
    rule = PACK.rule("forhandsbedomning")
    assert [s.key for s in rule.steps] == [
        "pam:-7d:handlaggare",
        "pam:-3d:handlaggare",
        "esk:-2d:forste_socialsekreterare",
        "pam:-1d:handlaggare",
        "pam:0d:handlaggare",
        "esk:0d:chef",
        "esk:+1d:chef",
        "esk:+7d:socialchef",
    ]
    assert rule.steps[-1].repeat == Offset(7)
    assert rule.steps[0].repeat is None


def test_weeks_offsets_sort_with_days(tmp_path):
    # "-2w" is 14 days before, so it sorts before "-10d".
    text = LOCAL.replace('remind = ["-7d", "0d"]', 'remind = ["-10d", "-2w", "0d"]')
    write(tmp_path, text)
    rule = load_rule_pack(local_dir=tmp_path).rule("hembesok")
    assert [str(s.at) for s in rule.steps] == ["-2w", "-10d", "0d", "+1d"]
    assert rule.length == Period.parse("30d")
