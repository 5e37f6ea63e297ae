"""`frister report`: egenkontroll for the nämnd, and the quarterly ej verkställda beslut."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.errors import EXIT_OK, EXIT_PROBLEM, CliError
from bot.config import Settings
from bot.i18n import _


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    import re

    from bot.bootstrap import App
    from bot.clock import local_today
    from bot.services.report_snapshots import month_report, month_trend
    from bot.services.reports import month_start

    if args.ej_verkstallda or args.quarter:
        return _report_ej_verkstallda(args, settings)
    if args.month is None:
        raise CliError(_("Give --month YYYY-MM (or --ej-verkstallda --quarter YYYY-Qn)."))
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise CliError(_("Invalid month: {text} (write YYYY-MM).").format(text=args.month))
    month = month_start(args.month)
    app = App(settings)
    today = local_today(app.clock, settings.tz)
    workload: dict = {}
    staff: list = []

    async def run():
        try:
            await app.prepare_database()
            async with app.unit_of_work() as uow:
                known = await uow.reports.unit_names()
                if args.enhet and args.enhet not in known:
                    return known, {}
                names = [args.enhet] if args.enhet else known
                now = app.clock.now()
                if args.format == "png":
                    return known, {
                        name: await month_trend(uow, name, month, today, now) for name in names
                    }
                if args.format == "md":  # the workload section reads the rows and the staff
                    for name in names:
                        workload[name] = await uow.reports.report_rows(name)
                    staff.extend(await uow.outbox.staff_for(await uow.outbox.units()))
                return known, {
                    name: [await month_report(uow, name, month, today, now)] for name in names
                }
        finally:
            await app.close()

    known, data = asyncio.run(run())
    if not known:
        raise CliError(
            _(
                "There is nothing to report: the database has no cases yet. "
                "Import them first: {cmd}"
            ).format(cmd="frister import FIL.csv"),
            EXIT_PROBLEM,
        )
    if args.enhet and args.enhet not in known:
        raise CliError(
            _("There is no enhet called {enhet}. There are: {names}.").format(
                enhet=args.enhet, names=", ".join(known)
            )
        )
    if not any(report.has_data for reports in data.values() for report in reports):
        raise CliError(
            _("No deadlines to report for {month}{where}.").format(
                month=args.month, where=f" ({args.enhet})" if args.enhet else ""
            ),
            EXIT_PROBLEM,
        )
    if args.format == "png":
        return _write_charts(args, data)
    reports = [reports[-1] for reports in data.values()]
    if args.format == "csv":
        from bot.services.report_formats import to_csv

        output = to_csv(reports)
    else:
        from bot.services.report_formats import to_markdown

        output = "\n".join(
            to_markdown(report) + _workload_section(workload[name], month, today, staff)
            for name, report in zip(data, reports, strict=True)
        )
    if args.output:
        # Excel opens a UTF-8 file with å, ä and ö right only when it starts with a BOM.
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        _write(args.output, output.encode(encoding))
    else:
        print(output, end="")
    return EXIT_OK


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise CliError(
            _("Cannot write {file}: {reason}").format(file=path, reason=error.strerror)
        ) from None
    print(_("Wrote {file}").format(file=path))


def chart_paths(output: Path | None, month: str, names: list[str]) -> dict[str, Path]:
    """Where each enhet's chart goes: --output for one enhet; for several, one file per enhet
    named after --output (FILE-enhet.png), or inside it when it is a directory."""
    import re

    def slug(name: str) -> str:
        return re.sub(r"[^a-z0-9åäö]+", "-", name.lower()).strip("-")

    if output is None or output.is_dir():
        folder = output or Path()
        return {n: folder / f"frister-rapport-{month}-{slug(n)}.png" for n in names}
    if len(names) == 1:
        return {names[0]: output}
    suffix = output.suffix or ".png"
    return {n: output.with_name(f"{output.stem}-{slug(n)}{suffix}") for n in names}


def _write_charts(args: argparse.Namespace, data: dict) -> int:
    from bot.services.report_chart import png_bytes

    charts = {name: reports for name, reports in data.items() if any(r.has_data for r in reports)}
    for name, path in chart_paths(args.output, args.month, list(charts)).items():
        _write(path, png_bytes(charts[name]))
    return EXIT_OK


def _workload_section(rows, month, today, staff) -> str:
    """The hook for the workload section (bot/services/report_workload.py)."""
    from bot.services.report_workload import report_names, workload_section

    return "\n".join(workload_section(rows, month, today, report_names(staff))) + "\n"


def _report_ej_verkstallda(args: argparse.Namespace, settings: Settings) -> int:
    """`frister report --ej-verkstallda --quarter YYYY-Qn`: 34 kap. 1–3 §§ SoL."""
    from bot.bootstrap import App
    from bot.clock import local_today
    from bot.services.ej_verkstallda import (
        RULES,
        build_quarter_report,
        parse_quarter,
        quarter_csv,
        quarter_markdown,
    )

    if not args.ej_verkstallda:
        raise CliError(_("--quarter goes with --ej-verkstallda."))
    if args.month:
        raise CliError(_("Give either --month or --quarter, not both."))
    if args.quarter is None:
        raise CliError(_("Give the quarter: --quarter YYYY-Qn, e.g. 2026-Q1."))
    quarter = parse_quarter(args.quarter)
    if quarter is None:
        raise CliError(
            _("Invalid quarter: {text} (write YYYY-Qn, e.g. 2026-Q1).").format(text=args.quarter)
        )
    if args.format == "png":
        raise CliError(_("The report of ej verkställda beslut is csv or md."))
    app = App(settings)

    async def run():
        try:
            await app.prepare_database()
            async with app.unit_of_work() as uow:
                rows = [r for r in await uow.reports.report_rows(args.enhet) if r.rule_id in RULES]
                cases = await uow.cases.cases_by_code({r.code for r in rows})
                events = await uow.cases.events_of(case.id for case in cases.values())
            return rows, {code: events.get(case.id, []) for code, case in cases.items()}
        finally:
            await app.close()

    rows, events_by_code = asyncio.run(run())
    report = build_quarter_report(
        rows, events_by_code, quarter, local_today(app.clock, settings.tz)
    )
    output = quarter_csv(report) if args.format == "csv" else quarter_markdown(report)
    if args.output:
        args.output.write_text(output, encoding="utf-8")
        print(_("Wrote {file}").format(file=args.output))
    else:
        print(output, end="")
    return EXIT_OK
