"""`frister rules` and `frister namnd`: the rule pack and the nämnd's meeting dates."""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.i18n import _

if TYPE_CHECKING:
    from bot.domain.rules import Rule, RulePack

from bot.cli.errors import EXIT_OK, EXIT_PROBLEM, CliError

NO_LIMIT = "ingen frist"  # `rules due`: the first line when the law sets no time limit (contract)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(_("Invalid date: {text} (write YYYY-MM-DD).").format(text=text)) from None


def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.calendar import MAX_YEAR, MIN_YEAR, swedish_calendar
    from bot.domain.rules import check_file, load_rule_pack
    from bot.formatting import long_date
    from bot.meeting_file import configured_meetings

    if args.rules_command == "check":
        if not args.file.is_file():
            raise CliError(_("No such file: {file}").format(file=args.file))
        errors = check_file(args.file)
        for error in errors:
            print(error, file=sys.stderr)
        if errors:
            return EXIT_PROBLEM
        print(_("{file}: OK").format(file=args.file))
        return EXIT_OK

    pack = load_rule_pack(local_dir=settings.rules_dir)
    if args.rules_command == "list":
        for rule in pack.rules.values():
            print(f"{rule.id:<24} {rule.name} — {rule.length_text} — {rule.legal.new}")
            if rule.legal.old:
                print(" " * 25 + _("previously {reference}").format(reference=rule.legal.old))
        return EXIT_OK

    if args.rule not in pack.rules:
        close = difflib.get_close_matches(args.rule, pack.rules, n=1)
        hint = " " + _("Did you mean {rule}?").format(rule=close[0]) if close else ""
        raise CliError(_("Unknown rule: {rule}.").format(rule=args.rule) + hint)
    if args.rules_command == "show":
        print("\n".join(_rule_lines(pack, pack.rule(args.rule))))
        return EXIT_OK
    trigger = _parse_date(args.date)
    if not MIN_YEAR <= trigger.year <= MAX_YEAR - 10:
        raise CliError(
            _("The date must lie between {first} and {last}.").format(
                first=MIN_YEAR, last=MAX_YEAR - 10
            )
        )
    rule = pack.rule(args.rule)
    if rule.until_next_meeting:
        return _due_at_meeting(rule.with_meetings(configured_meetings(settings)), trigger, settings)
    if not rule.has_limit(trigger):
        print(NO_LIMIT)
        print(
            _(
                "{name}: the law sets no time limit for a trigger before {day} ({reference})."
            ).format(
                name=rule.name,
                day=(rule.valid_from or trigger).isoformat(),
                reference=rule.legal.new,
            )
        )
        return EXIT_OK
    explained = rule.explain(trigger, swedish_calendar())
    print(explained.legal_day.isoformat())
    print(
        _("{name}: last day {day} ({length} from {trigger}, {reference}).").format(
            name=rule.name,
            day=long_date(explained.legal_day),
            length=rule.length_text,
            trigger=trigger.isoformat(),
            reference=rule.reference(trigger, explained.legal_day),
        )
    )
    if explained.shifted_because:
        print(
            _("Moved from {day} ({reason}) under lag (1930:173).").format(
                day=long_date(explained.calendar_day), reason=explained.shifted_because
            )
        )
    return EXIT_OK


def _due_at_meeting(rule: Rule, trigger: date, settings: Settings) -> int:
    """`rules due` for a rule whose last day is the nämnd's next meeting."""
    from bot.domain.calendar import swedish_calendar
    from bot.formatting import long_date

    if not rule.has_limit(trigger):
        print(NO_LIMIT)
        print(
            _(
                "{name}: the last day is the nämnd's next meeting; none after {day} is known."
            ).format(name=rule.name, day=trigger.isoformat())
        )
        if settings.namnd_moten is None:
            warning = _(
                "Warning: no meeting dates of the nämnd are set (FRISTER_NAMND_MOTEN): "
                "decisions reported at the next meeting get no deadline."
            )
        else:
            warning = _(
                "Warning: {file} has no meeting after {day}: add the nämnd's coming meetings."
            ).format(file=settings.namnd_moten, day=trigger.isoformat())
        print(warning, file=sys.stderr)
        return EXIT_OK
    day = rule.last_day(trigger, swedish_calendar())
    print(day.isoformat())
    print(
        _(
            "{name}: last day {day}, the nämnd's first meeting after {trigger} ({reference})."
        ).format(
            name=rule.name,
            day=long_date(day),
            trigger=trigger.isoformat(),
            reference=rule.reference(trigger, day),
        )
    )
    return EXIT_OK


def cmd_namnd(args: argparse.Namespace, settings: Settings) -> int:
    """`frister namnd moten [FILE]`: check the meeting dates and show them."""
    from bot.clock import SystemClock, local_today
    from bot.formatting import long_date
    from bot.meeting_file import read_meeting_file

    path = args.file or settings.namnd_moten
    if path is None:
        raise CliError(_("Name a file, or set FRISTER_NAMND_MOTEN."))
    if not path.is_file():
        raise CliError(_("No such file: {file}").format(file=path))
    dates, errors = read_meeting_file(path)
    for error in errors:
        print(f"{path}:{error.line}: {error.message}", file=sys.stderr)
    if errors:
        return EXIT_PROBLEM
    if not dates:
        print(_("{file}: no meeting dates.").format(file=path), file=sys.stderr)
        return EXIT_PROBLEM
    for day in dates:
        print(f"{day.isoformat()}  {long_date(day)}")
    print(
        _("{n} meeting dates, {first} – {last}.").format(
            n=len(dates), first=dates[0].isoformat(), last=dates[-1].isoformat()
        )
    )
    today = local_today(SystemClock(), settings.tz)
    if dates[-1] <= today:
        print(
            _("Warning: no meeting after today: add the nämnd's coming meetings."),
            file=sys.stderr,
        )
    return EXIT_OK


def _rule_lines(pack: RulePack, rule: Rule) -> list[str]:
    """`frister rules show`: what a handläggare needs to check a rule against its source."""

    def events(names: tuple[str, ...]) -> str:
        return "; ".join(pack.event_name(name) for name in names)

    length = rule.length_text + (
        ", " + _("then every {period}").format(period=rule.recurs) if rule.recurs else ""
    )
    lines = [
        f"{rule.id} — {rule.name}",
        _("Reference: {reference}").format(reference=rule.legal.new),
    ]
    if rule.legal.old:
        lines.append(_("previously {reference}").format(reference=rule.legal.old))
    lines.append(_("Time: {length}").format(length=length))
    if rule.valid_from:
        lines.append(_("No time limit for triggers before {day}.").format(day=rule.valid_from))
    lines.append(_("Started by: {events}").format(events=events(rule.triggers)))
    if rule.counted_from:
        lines.append(_("Counted from: {events}").format(events=events(rule.counted_from)))
    lines.append(_("Done by: {events}").format(events=events(rule.closes_on)))
    if rule.cancelled_on:
        lines.append(_("Cancelled by: {events}").format(events=events(rule.cancelled_on)))
    if rule.source_text:
        lines.append(rule.source_text)
    return lines
