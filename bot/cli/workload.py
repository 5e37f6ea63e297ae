"""`frister workload`: the workload per handläggare, as chat's `/frister belastning` shows it."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

from bot.cli.errors import EXIT_OK, CliError
from bot.config import Settings
from bot.i18n import _

MAX_WEEKS = 12


def add_parser(commands: Any) -> None:
    """Register `frister workload` on the subcommand parsers."""
    workload = commands.add_parser(
        "workload",
        aliases=["belastning"],
        help=_("the workload per handläggare: open deadlines, load and threshold"),
        description=_(
            "Per handläggare: open utredningar, deadlines in the next 7/14/28 days, overdue, "
            "extended, and a load (each open deadline weighed by the rule pack). Whoever is "
            "above the enhet's threshold is marked."
        ),
    )
    workload.add_argument("--enhet", metavar=_("ENHET"), help=_("one enhet (default: all)"))
    workload.add_argument(
        "--weeks",
        type=int,
        default=4,
        metavar="N",
        help=_("weeks ahead in the chart and the week columns (1–12, default 4)"),
    )
    workload.add_argument(
        "--format",
        choices=("md", "csv", "png"),
        default="md",
        help=_("md to read (default), csv for Excel, png: the weekly chart"),
    )
    workload.add_argument(
        "--output",
        type=Path,
        metavar=_("FILE"),
        help=_("write to a file (png: one file per enhet unless one enhet is chosen)"),
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "enhet"


def cmd_workload(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import App
    from bot.chat.units import find_unit
    from bot.clock import local_today
    from bot.services.workload import read_all, read_workload, to_csv, to_markdown
    from bot.services.workload_chart import chart_png

    if not 1 <= args.weeks <= MAX_WEEKS:
        raise CliError(_("--weeks must be a number from 1 to {most}.").format(most=MAX_WEEKS))
    app = App(settings)
    pack = app.rules
    today = local_today(app.clock, settings.tz)

    async def run():
        try:
            await app.prepare_database()
            async with app.unit_of_work(readonly=True) as uow:
                if not args.enhet:
                    return await read_all(uow, today, pack)
                unit = await find_unit(uow, args.enhet)
                if unit is None or unit.id is None:
                    return None
                return [await read_workload(uow, unit.id, unit.name or "", today, pack)]
        finally:
            await app.close()

    units = asyncio.run(run())
    if units is None:
        raise CliError(_("There is no enhet called “{name}”.").format(name=args.enhet[:60]))
    if args.format == "png":
        if not units:
            raise CliError(_("There are no enheter yet."))
        for work in units:
            path = (
                args.output
                if args.output and len(units) == 1
                else Path(f"frister-belastning-{today.isoformat()}-{_slug(work.unit.enhet)}.png")
            )
            path.write_bytes(chart_png(work.bars(args.weeks)))
            print(_("Wrote {file}").format(file=path))
        return EXIT_OK
    if args.format == "csv":
        output = to_csv(units, args.weeks)
    else:
        output = to_markdown(units, pack.workload.factor, args.weeks)
    if args.output:
        args.output.write_text(output, encoding="utf-8")
        print(_("Wrote {file}").format(file=args.output))
    else:
        print(output, end="")
    return EXIT_OK
