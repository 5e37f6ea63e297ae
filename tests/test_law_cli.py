"""`frister rules due|show|check` for the rules of issue 11, run for real in a subprocess."""

from __future__ import annotations

from pathlib import Path

from bot.domain.rules import check_file
from tests.test_cli import one_line, run_all
from tests.test_rules import line_of


def test_due_without_time_limit(tmp_path):
    """19 kap. 6 § SoL set no time limit before SFS 2025:1501 (15 January 2026): `rules due`
    prints `ingen frist` on the first line and exits 0; from that day the week runs."""
    before, first_day, unknown, bad = run_all(
        (tmp_path, ["rules", "due", "aterkoppling-anmalare", "2026-01-14"], "", {}),
        (tmp_path, ["rules", "due", "aterkoppling-anmalare", "2026-01-15"], "", {}),
        (tmp_path, ["rules", "due", "aterkopling-anmalare", "2026-01-14"], "", {}),
        (tmp_path, ["rules", "due", "aterkoppling-anmalare", "2026-01-32"], "", {}),
    )
    assert before.returncode == 0, before.stderr
    assert before.stderr == ""
    assert before.stdout.splitlines()[0] == "ingen frist"
    assert "2026-01-15" in before.stdout.splitlines()[1]
    # Thu 15 Jan 2026 + 1 week = Thu 22 Jan 2026.
    assert first_day.returncode == 0, first_day.stderr
    assert first_day.stdout.splitlines()[0] == "2026-01-22"
    assert "19 kap. 6 § SoL (2025:400)" in first_day.stdout
    for result, start in ((unknown, "Okänd regel"), (bad, "Ogiltigt datum")):
        assert result.returncode == 2
        assert result.stdout == ""
        assert one_line(result.stderr).startswith(start)


def test_due_cites_the_law_of_the_period(tmp_path):
    """SoL (2025:400) governs a period still running on 1 July 2025: an anmälan of Fri 20 Jun
    2025 + 14 days = Fri 4 Jul 2025 cites 20 kap. 2 § SoL (2025:400); one of Tue 10 Jun 2025
    (last day Tue 24 Jun) the old 11 kap. 1 a § SoL (2001:453)."""
    late, early = run_all(
        (tmp_path, ["rules", "due", "forhandsbedomning", "2025-06-20"], "", {}),
        (tmp_path, ["rules", "due", "forhandsbedomning", "2025-06-10"], "", {}),
    )
    assert late.stdout.splitlines()[0] == "2025-07-04"
    assert "20 kap. 2 § SoL (2025:400)" in late.stdout.splitlines()[1]
    assert early.stdout.splitlines()[0] == "2025-06-24"
    assert "11 kap. 1 a § andra stycket SoL (2001:453)" in early.stdout.splitlines()[1]


def test_show(tmp_path):
    """`rules show` gives the reference, the time, the events and the paragraph's words."""
    (shown, unknown) = run_all(
        (tmp_path, ["rules", "show", "vardnadsoverflyttning"], "", {}),
        (tmp_path, ["rules", "show", "vardnadsoverflytning"], "", {}),
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "vardnadsoverflyttning — Övervägande om vårdnadsöverflyttning"
    assert "Lagrum: 22 kap. 14 § SoL (2025:400); 13 c § LVU" in lines
    assert "Tid: 2y, därefter var 1y" in lines
    assert any(line.startswith("Startas av: Placerad i familjehem") for line in lines)
    assert lines[-1].startswith("Sammanfattning: ")
    assert unknown.returncode == 2
    assert "Menade du vardnadsoverflyttning?" in one_line(unknown.stderr)


RULE = """\
pack = "kommun"

[[rule]]
id = "lokal"
name = "Lokal frist"
trigger = "anmalan_inkom"
only_after = ["utredning_inledd"]
counted_from = ["utredning_avslutad"]
valid_from = 2026-01-15
restart = true
length = "3w"
closes_on = ["utredning_inledd"]
legal = { new = "Lokal riktlinje 3 §" }
summary = "En sammanfattning."
remind = ["0d"]
"""


def test_check_new_keys(tmp_path: Path):
    """The schema knows the new keys, checks their events and refuses quote with summary."""
    path = tmp_path / "kommun.toml"
    path.write_text(RULE, encoding="utf-8")
    assert check_file(path) == []
    path.write_text(RULE.replace('["utredning_inledd"]\ncounted', '["utredning_inled"]\ncounted'))
    (error,) = check_file(path)
    assert error.message == "only_after: okänd händelse utredning_inled"
    assert error.line == line_of(RULE, "only_after =")
    path.write_text(RULE.replace("remind =", 'quote = "Ord."\nremind ='), encoding="utf-8")
    (error,) = check_file(path)
    assert error.message == "ange antingen quote eller summary, inte båda"
    assert error.line == line_of(RULE, "summary =")
    path.write_text(RULE.replace("2026-01-15", '"snart"'), encoding="utf-8")
    (error,) = check_file(path)
    assert error.message.startswith("rule.0.valid_from:")
    assert error.line == line_of(RULE, "valid_from =")
