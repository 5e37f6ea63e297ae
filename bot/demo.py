"""`frister demo`: the rule pack at work on sample pseudonymised cases, on an embedded SQLite."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from pydantic import SecretStr

from bot.bootstrap import App
from bot.clock import local_today
from bot.config import Settings
from bot.formatting import long_date
from bot.i18n import _, ngettext

# (reference, enhet, handläggare, [(event, days or months ago)]) — invented references, no people.
SAMPLE_CASES = (
    ("DEMO-1001", "Barn och unga Nord", "U0DEMO001", [("anmalan_inkom", timedelta(days=0))]),
    ("DEMO-1002", "Barn och unga Nord", "U0DEMO001", [("anmalan_inkom", timedelta(days=9))]),
    (
        "DEMO-1003",
        "Barn och unga Nord",
        "U0DEMO002",
        [
            ("anmalan_inkom", timedelta(days=20)),
            ("skyddsbedomning_klar", timedelta(days=20)),
            ("utredning_inledd", timedelta(days=12)),
        ],
    ),
    (
        "DEMO-1004",
        "Barn och unga Nord",
        "U0DEMO002",
        [("utredning_inledd", relativedelta(months=4, days=-3))],
    ),
    (
        "DEMO-1005",
        "Barn och unga Syd",
        "handlaggare.syd@kommun.example",
        [("placering_verkstalld", relativedelta(months=5, days=20))],
    ),
    (
        "DEMO-1006",
        "Barn och unga Syd",
        "handlaggare.syd@kommun.example",
        [
            ("lvu_omedelbart_omhandertagande", timedelta(days=2)),
            ("lvu_omhandertagande_verkstallt", timedelta(days=2)),
        ],
    ),
    (
        "DEMO-1007",
        "Barn och unga Syd",
        "U0DEMO003",
        [("anmalan_inkom", timedelta(days=17)), ("skyddsbedomning_klar", timedelta(days=17))],
    ),
)


def sample_csv(today: date) -> str:
    """The sample cases as the import file a municipality would write."""
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    for reference, enhet, handler, events in SAMPLE_CASES:
        for event, ago in events:
            lines.append(f"{reference};{enhet};{handler};{event};{(today - ago).isoformat()}")
    return "\n".join(lines) + "\n"


def _relative(days: int) -> str:
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in {n} day", "in {n} days", days).format(n=days)
    return ngettext("{n} day overdue", "{n} days overdue", -days).format(n=-days)


async def _run(app: App) -> None:
    today = local_today(app.clock, app.settings.tz)
    await app.prepare_database()
    report = await app.importer().run(sample_csv(today))
    print(_("Imported the sample cases: {summary}").format(summary=report.summary()))
    print()
    async with app.unit_of_work() as store:
        views = await store.deadline_views()
    open_views = [v for v in views if v.status == "open"]
    print(_("Open deadlines, nearest first (today is {today}):").format(today=long_date(today)))
    for view in open_views:
        rule = app.rules.rule(view.rule_id)
        print(
            f"  {view.code}  {rule.name:<38} {long_date(view.effective_last_day):<28} "
            f"{_relative((view.effective_last_day - today).days):<22} "
            f"{rule.legal.for_trigger(view.trigger_date)}"
        )
    done = [v for v in views if v.status == "done"]
    print()
    print(
        ngettext(
            "{n} deadline is already done.", "{n} deadlines are already done.", len(done)
        ).format(n=len(done))
    )


def run_demo(settings: Settings) -> int:
    with tempfile.TemporaryDirectory(prefix="frister-demo-") as folder:
        update: dict[str, object] = {
            "database_url": f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        }
        if settings.pseudonym_key is None:
            update["pseudonym_key"] = SecretStr(secrets.token_urlsafe(32))
            print(_("Demo: no FRISTER_PSEUDONYM_KEY is set, so a temporary key is used."))
        demo_settings = settings.model_copy(update=update)
        app = App(demo_settings)

        async def main() -> None:
            try:
                await _run(app)
            finally:
                await app.close()

        asyncio.run(main())
    return 0
