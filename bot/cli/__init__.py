"""`frister`: the command line for operations, IT and the demo (Swedish help and messages)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import i18n
from bot.cli.errors import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, CliError, database_fault
from bot.cli.imports import add_parsers as add_import_parsers
from bot.cli.imports import cmd_import, cmd_staff
from bot.cli.reports import cmd_report
from bot.cli.rules import cmd_namnd, cmd_rules
from bot.cli.workload import add_parser as add_workload_parser
from bot.cli.workload import cmd_workload
from bot.config import Settings, SettingsError, load_settings
from bot.i18n import N_, _

# argparse's own strings, translated through our catalog (argparse looks them up via gettext).
ARGPARSE_STRINGS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
)


def _translate_argparse() -> None:
    argparse._ = i18n.gettext  # argparse calls the module-level gettext alias at run time
    argparse.ngettext = i18n.ngettext


def build_parser() -> argparse.ArgumentParser:
    _translate_argparse()
    parser = argparse.ArgumentParser(
        prog="frister",
        description=_("Frister keeps the deadlines of social services cases."),
    )
    commands = parser.add_subparsers(dest="command", metavar=_("COMMAND"), required=True)

    rules = commands.add_parser("rules", help=_("the rule pack: list, due dates, check a file"))
    rules_commands = rules.add_subparsers(dest="rules_command", metavar=_("COMMAND"), required=True)
    rules_commands.add_parser("list", help=_("every rule with its length and legal reference"))
    due = rules_commands.add_parser(
        "due", help=_("the legal last day of a rule for a trigger date")
    )
    due.add_argument("rule", metavar=_("RULE"), help=_("rule id, e.g. forhandsbedomning"))
    due.add_argument("date", metavar=_("DATE"), help=_("trigger date YYYY-MM-DD"))
    show = rules_commands.add_parser(
        "show", help=_("one rule: its reference, the words of its paragraph, its events")
    )
    show.add_argument("rule", metavar=_("RULE"), help=_("rule id, e.g. forhandsbedomning"))
    check = rules_commands.add_parser("check", help=_("validate a rule pack file"))
    check.add_argument("file", type=Path, metavar=_("FILE"), help=_("a rule pack (.toml)"))

    namnd = commands.add_parser("namnd", aliases=["nämnd"], help=_("the nämnd: its meeting dates"))
    namnd_commands = namnd.add_subparsers(dest="namnd_command", metavar=_("COMMAND"), required=True)
    meetings = namnd_commands.add_parser(
        "moten",
        aliases=["möten"],
        help=_("check and show a file of meeting dates (default: FRISTER_NAMND_MOTEN)"),
    )
    meetings.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar=_("FILE"),
        help=_("one date YYYY-MM-DD a line, # for comments"),
    )

    commands.add_parser(
        "screen",
        help=_("screen text on standard input for personal identity numbers"),
    )

    pseudonym = commands.add_parser(
        "pseudonym", help=_("the case code of a case reference (- reads references from stdin)")
    )
    pseudonym.add_argument(
        "reference",
        metavar=_("REFERENCE"),
        help=_("the case reference (diary number), or - to read one a line from stdin"),
    )

    add_import_parsers(commands)

    db = commands.add_parser("db", help=_("the database"))
    db_commands = db.add_subparsers(dest="db_command", metavar=_("COMMAND"), required=True)
    db_commands.add_parser("upgrade", help=_("create or upgrade the database schema"))
    db_commands.add_parser("current", help=_("show the schema version"))

    report = commands.add_parser("report", help=_("egenkontroll: deadlines kept per enhet"))
    report.add_argument(
        "--month",
        metavar=_("YYYY-MM"),
        help=_("the month (egenkontroll); a past month's figures are frozen at its end"),
    )
    report.add_argument(
        "--ej-verkstallda",
        action="store_true",
        help=_("decisions not carried out within three months (34 kap. SoL), per quarter"),
    )
    report.add_argument("--quarter", metavar=_("YYYY-Qn"), help=_("the quarter, e.g. 2026-Q1"))
    report.add_argument("--enhet", metavar=_("ENHET"), help=_("one enhet (default: all)"))
    report.add_argument(
        "--format",
        choices=("csv", "md", "png"),
        default="md",
        help=_("md to read (default), csv for Excel (; and decimal comma), png: a 12-month chart"),
    )
    report.add_argument(
        "--output",
        type=Path,
        metavar=_("FILE"),
        help=_(
            "write to a file instead of the screen; png for several enheter: one file each, "
            "FILE-enhet.png (or inside FILE when it is a folder)"
        ),
    )

    add_workload_parser(commands)

    audit = commands.add_parser("audit", help=_("the tamper-evident audit trail"))
    audit_commands = audit.add_subparsers(dest="audit_command", metavar=_("COMMAND"), required=True)
    audit_verify = audit_commands.add_parser(
        "verify", help=_("check the hash chain; name the first broken row")
    )
    audit_verify.add_argument(
        "--head",
        metavar="HASH",
        help=_("a head recorded earlier (HASH or 'SEQ HASH'); the chain must still reach it"),
    )
    audit_commands.add_parser("head", help=_("print the newest hash, to keep outside the database"))

    tick = commands.add_parser("tick", help=_("one planning and delivery cycle, then exit"))
    tick.add_argument(
        "--now",
        metavar=_("TIME"),
        help=_("act as if it were this time (ISO 8601, local time unless a zone is given)"),
    )
    commands.add_parser("status", help=_("outbox, failures and the last planning tick"))
    commands.add_parser("serve", help=_("run the bot (Socket Mode, or HTTP mode by settings)"))
    demo = commands.add_parser("demo", help=_("show Frister on sample cases, no Slack needed"))
    demo.add_argument(
        "--platform",
        metavar=_("PLATFORM"),
        help=_("slack or teams (default: FRISTER_PLATFORM, otherwise slack)"),
    )
    demo.add_argument(
        "--interactive",
        action="store_true",
        help=_(
            "afterwards, type /frister commands at a prompt (the default when the terminal "
            "is interactive)"
        ),
    )
    teams = commands.add_parser("teams", help=_("Microsoft Teams: the app package"))
    teams_commands = teams.add_subparsers(dest="teams_command", metavar=_("COMMAND"), required=True)
    package = teams_commands.add_parser(
        "package", help=_("write the Teams app package (a zip) for the Teams admin center")
    )
    package.add_argument(
        "--domain", required=True, metavar=_("HOST"), help=_("Frister's public host name")
    )
    package.add_argument("--website", metavar="URL", help=_("a page about Frister (https://…)"))
    package.add_argument(
        "--out", type=Path, default=Path("frister-teams.zip"), metavar=_("FILE"), help=_("the zip")
    )
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand its one-line help as the description of its own --help."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            if sub.description is None and helps.get(name):
                text = str(helps[name])
                sub.description = text[0].upper() + text[1:] + "."
            _describe(sub)


# ---- commands ------------------------------------------------------------------------------


def cmd_screen(_args: argparse.Namespace, _settings: Settings) -> int:
    from bot.domain.screening import FindingKind, find_identifiers

    names = {
        FindingKind.PERSONNUMMER: _("personal identity number"),
        FindingKind.SAMORDNINGSNUMMER: _("co-ordination number"),
        FindingKind.POSSIBLE: _("possible personal identity number"),
    }
    text = sys.stdin.read()
    findings = find_identifiers(text)
    for finding in findings:
        line = text.count("\n", 0, finding.start) + 1
        column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
        print(
            _("Line {line}, column {column}: {kind}.").format(
                line=line, column=column, kind=names[finding.kind]
            )
        )
    return EXIT_PROBLEM if findings else EXIT_OK


def cmd_pseudonym(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.domain.screening import contains_identifier

    pseudonymiser = App(settings).pseudonymiser
    references = sys.stdin.read().splitlines() if args.reference == "-" else [args.reference]
    status = EXIT_OK
    for number, reference in enumerate(references, start=1):
        if not reference.strip():
            continue
        if contains_identifier(reference):
            print(
                _(
                    "Reference {number} looks like a personal identity number and is refused: "
                    "use the case's diary number."
                ).format(number=number),
                file=sys.stderr,
            )
            status = EXIT_PROBLEM
            continue
        print(pseudonymiser.code(reference))
    return status


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from storage.database import current_revision, head_revision, upgrade

    app = App(settings)

    async def run() -> str | None:
        try:
            if args.db_command == "upgrade":
                await upgrade(app.engine)
            return await current_revision(app.engine)
        finally:
            await app.close()

    revision = asyncio.run(run())
    if args.db_command == "upgrade":
        print(_("The database is at schema version {revision}.").format(revision=revision))
    else:
        print(
            _("Schema version {current} (newest {head}).").format(
                current=revision or "-", head=head_revision()
            )
        )
    return EXIT_OK


def _parse_now(text: str, settings: Settings):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(
            _("Invalid time: {text} (write e.g. 2026-06-22T08:00).").format(text=text)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def _messenger(settings: Settings):
    from handlers.slack.messenger import SlackMessenger, make_client

    if settings.slack_bot_token is None:
        raise SettingsError(
            _("The setting SLACK_BOT_TOKEN is missing: Frister cannot send without it.")
        )
    client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    return SlackMessenger(client)


def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.clock import FixedClock, SystemClock

    clock = FixedClock(_parse_now(args.now, settings)) if args.now else SystemClock()
    teams = settings.platform == "teams"
    if teams:
        from bot.runtime import teams_messenger
        from handlers.teams.auth import check

        check(settings)
    app = App(settings, clock=clock)
    messenger = teams_messenger(app) if teams else _messenger(settings)

    async def run():
        try:
            await app.prepare_database()
            planned = await app.planner().tick()
            delivered = await app.delivery(messenger).run_once()
            return planned, delivered
        finally:
            if teams:
                await messenger.aclose()
            await app.close()

    planned, delivered = asyncio.run(run())
    print(
        _(
            "Planned {planned} messages for {deadlines} deadlines ({superseded} replaced by a "
            "later step). Sent {sent}, retrying {retried}, failed {failed}."
        ).format(
            planned=planned.planned,
            deadlines=planned.deadlines,
            superseded=planned.superseded,
            sent=delivered.sent,
            retried=delivered.retried,
            failed=delivered.failed,
        )
    )
    return EXIT_PROBLEM if delivered.failed else EXIT_OK


def cmd_status(_args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from bot.bootstrap import App
    from bot.services.selfaudit import SelfAudit
    from storage.outage import disk_full

    app = App(settings)

    async def run():
        try:
            await app.prepare_database()
            audit = SelfAudit(app.unit_of_work, app.clock, timedelta(seconds=settings.tick_seconds))
            health = await audit.check()
            async with app.unit_of_work() as uow:
                failed = await uow.outbox.failed_notifications(limit=20)
                empty = not await uow.reports.unit_names()
            return health, failed, await disk_full(app.engine), empty
        except Exception as error:
            clear = outage_error(error)
            if clear is None:
                raise
            raise clear from None
        finally:
            await app.close()

    health, failed, full, empty = asyncio.run(run())
    if full:
        print(_(FULL_DISK), file=sys.stderr)
    if empty:
        print(
            _(
                "The database is empty. Next step: import the staff register and the cases, "
                "`frister staff import staff.csv` then `frister import cases.csv` "
                "(examples in docs/examples/), then start Frister with `frister serve`."
            )
        )
        return EXIT_PROBLEM
    checks = health.checks
    print(_("Status: {state}").format(state=_("OK") if health.ok else _("NEEDS ATTENTION")))
    print(
        _("Last planning tick: {tick}").format(tick=checks["scheduler"]["last_tick"] or _("never"))
    )
    print(
        _("Outbox: {pending} waiting, {stuck} stuck, {failed} failed.").format(
            pending=checks["outbox"]["pending"],
            stuck=checks["outbox"]["stuck"],
            failed=checks["delivery"]["failed"],
        )
    )
    print(
        _(
            "Answers since start: {answered} answered, {shed} told to try again, {failed} failed."
        ).format(**{k: checks["answers"][k] for k in ("answered", "shed", "failed")})
    )
    for row in failed:
        print(
            "  "
            + _("#{id} {code} {rule} to {recipient}: {error} ({attempts} attempts)").format(
                id=row.id,
                code=row.code or "-",
                rule=row.rule_id or "-",
                recipient=row.recipient,
                error=row.error,
                attempts=row.attempts,
            )
        )
    return EXIT_OK if health.ok and not full else EXIT_PROBLEM


FULL_DISK = N_(
    "The disk of the database is full: Frister cannot record deliveries until there is room "
    "again (it then resumes by itself)."
)


def outage_error(error: BaseException) -> CliError | None:
    """One Swedish line for a database that cannot be reached or whose disk is full."""
    from storage.outage import DISK_FULL, outage_kind

    kind = outage_kind(error)
    if kind is None:
        return None
    if kind == DISK_FULL:
        return CliError(_(FULL_DISK), EXIT_PROBLEM)
    return CliError(
        _(
            "Cannot reach the database: check FRISTER_DATABASE_URL and that the database "
            "server is running."
        ),
        EXIT_PROBLEM,
    )


def _kept_heads(args: argparse.Namespace, settings: Settings) -> list:
    """The heads `audit verify` must reach: --head and the last line of FRISTER_AUDIT_HEAD_FILE."""
    from bot.domain.audit import parse_head

    sources = []
    if getattr(args, "head", None):
        sources.append(("--head", args.head))
    if settings.audit_head_file is not None:
        path = settings.audit_head_file
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            raise CliError(
                _("Cannot read FRISTER_AUDIT_HEAD_FILE {file}.").format(file=path)
            ) from None
        sources.append((str(path), next((line for line in reversed(lines) if line.strip()), "")))
    heads = []
    for source, text in sources:
        try:
            heads.append(parse_head(text))
        except ValueError:
            raise CliError(
                _("{source} does not hold an audit head (HASH or 'SEQ HASH').").format(
                    source=source
                )
            ) from None
    return heads


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.domain.audit import verify

    kept = _kept_heads(args, settings) if args.audit_command == "verify" else []
    app = App(settings)

    async def run():
        try:
            await app.prepare_database()
            async with app.unit_of_work() as uow:
                if args.audit_command == "head":
                    return await uow.audit.head()
                records = [record async for record in uow.audit.records()]
            return verify(records, kept)
        finally:
            await app.close()

    result = asyncio.run(run())
    if args.audit_command == "head":
        seq, digest = result
        print(f"{seq} {digest}")
        return EXIT_OK
    if result.ok:
        print(
            _("The audit trail is intact: {n} rows, head {head}.").format(
                n=result.checked, head=result.head
            )
        )
        return EXIT_OK
    if result.reason == "head":
        print(
            _(
                "The audit trail no longer reaches the recorded head: rows have been deleted "
                "or the chain rebuilt after it ({n} rows now, head {head})."
            ).format(n=result.checked, head=result.head),
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    reasons = {
        "missing": _("a row is missing"),
        "prev_hash": _("the row does not point at the previous one"),
        "hash": _("the row has been changed"),
    }
    print(
        _("The audit trail is broken at row {seq}: {reason}.").format(
            seq=result.first_broken, reason=reasons[result.reason]
        ),
        file=sys.stderr,
    )
    return EXIT_PROBLEM


def cmd_serve(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import serve

    return serve(settings)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import PLATFORMS, run_demo

    platform = (args.platform or settings.platform).strip().lower()
    if platform not in PLATFORMS:
        raise CliError(
            _("Unknown platform {name}: choose slack or teams.").format(name=args.platform)
        )
    return run_demo(settings, interactive=args.interactive or sys.stdin.isatty(), platform=platform)


def cmd_teams(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.teams.package import PackageError, write_package

    app_id = getattr(settings, "teams_app_id", None) or os.environ.get("FRISTER_TEAMS_APP_ID", "")
    try:
        path = write_package(args.out, app_id.strip(), domain=args.domain, website=args.website)
    except PackageError as error:
        raise CliError(str(error)) from None
    print(_("Wrote the Teams app package {file}.").format(file=path))
    return EXIT_OK


COMMANDS = {
    "rules": cmd_rules,
    "namnd": cmd_namnd,
    "nämnd": cmd_namnd,
    "screen": cmd_screen,
    "pseudonym": cmd_pseudonym,
    "import": cmd_import,
    "staff": cmd_staff,
    "db": cmd_db,
    "report": cmd_report,
    "workload": cmd_workload,
    "belastning": cmd_workload,
    "audit": cmd_audit,
    "tick": cmd_tick,
    "status": cmd_status,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "teams": cmd_teams,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `frister` console script."""
    from bot.domain.rules import RuleError
    from storage.schema_errors import SchemaOutdated

    i18n.activate(i18n.DEFAULT_LANGUAGE)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        i18n.activate(settings.locale)
        return COMMANDS[args.command](args, settings)
    except (CliError, SettingsError, SchemaOutdated, RuleError) as error:
        print(str(error), file=sys.stderr)
        return getattr(error, "code", EXIT_USAGE)
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 130
    except Exception as error:
        message = database_fault(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return EXIT_PROBLEM
    except BrokenPipeError:  # `frister rules list | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
