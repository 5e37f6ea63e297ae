"""`frister report`: egenkontroll for the nämnd, and the quarterly ej verkställda beslut."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.i18n import _

if TYPE_CHECKING:
    pass

from bot.cli.errors import EXIT_OK, CliError


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    import re

    from bot.bootstrap import App
    from bot.clock import local_today
    from bot.services.reports import build_report, month_start, to_csv, to_markdown, to_png, trend

    if args.ej_verkstallda or args.quarter:
        return _report_ej_verkstallda(args, settings)
    if args.month is None:
        raise CliError(_("Give --month YYYY-MM (or --ej-verkstallda --quarter YYYY-Qn)."))
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise CliError(_("Invalid month: {text} (write YYYY-MM).").format(text=args.month))
    month = month_start(args.month)
    app = App(settings)

    async def run():
        try:
            await app.prepare_database()
            async with app.unit_of_work() as uow:
                names = [args.enhet] if args.enhet else await uow.reports.unit_names()
                data = {
                    name: (
                        await uow.reports.report_rows(name),
                        await uow.reports.investigation_events(name),
                    )
                    for name in names
                }
                units = await uow.outbox.units()
                staff = await uow.outbox.staff_for(units)
            return data, staff
        finally:
            await app.close()

    data, staff = asyncio.run(run())
    if args.enhet and not data[args.enhet][0]:
        raise CliError(_("No deadlines found for the enhet {enhet}.").format(enhet=args.enhet))
    today = local_today(app.clock, settings.tz)
    reports = {
        name: build_report(name, rows, month, today, events)
        for name, (rows, events) in data.items()
    }
    if args.format == "png":
        written = []
        for name, (rows, _events) in data.items():
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            path = (
                args.output
                if args.output and len(data) == 1
                else Path(f"frister-rapport-{args.month}-{slug}.png")
            )
            to_png(trend(name, rows, month, today), path)
            written.append(str(path))
        for path in written:
            print(_("Wrote {file}").format(file=path))
        return EXIT_OK
    if args.format == "csv":
        output = to_csv(reports.values())
    else:
        output = "\n".join(
            to_markdown(report) + _workload_section(data[name][0], month, today, staff)
            for name, report in reports.items()
        )
    if args.output:
        args.output.write_text(output, encoding="utf-8")
        print(_("Wrote {file}").format(file=args.output))
    else:
        print(output, end="")
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
