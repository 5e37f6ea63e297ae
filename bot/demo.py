"""`frister demo`: 60 simulated days on sample pseudonymised cases, no Slack needed.

Everything real runs: the embedded SQLite, migrations, the CSV importer, the planner, the
delivery loop and the Slack Web API client, which talks over HTTP to a built-in local Slack
stand-in. The clock is simulated; every message is printed as it would appear in Slack.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.bootstrap import App
from bot.clock import FixedClock, local_today
from bot.config import Settings
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.formatting import long_date
from bot.i18n import _
from bot.services.delivery import DeliveryPolicy
from bot.services.staff import store_staff
from bot.testing.slack_standin import Post, SlackStandIn

DAYS = 60
NORD, SYD = "Barn och unga Nord", "Barn och unga Syd"
ESCALATION_CHANNEL, ADMIN_CHANNEL = "C0DEMOESK", "C0DEMOADM"
# Invented staff: chat id, role, enhet, the name the demo shows.
STAFF = (
    ("U0DEMOANNA", "handlaggare", NORD, "Anna (handläggare)"),
    ("U0DEMOBO", "handlaggare", NORD, "Bo (handläggare)"),
    ("U0DEMOCECI", "forste_socialsekreterare", NORD, "Cecilia (1:e socialsekreterare)"),
    ("U0DEMODAN", "chef", NORD, "Dan (enhetschef Nord)"),
    ("U0DEMOEVA", "handlaggare", SYD, "Eva (handläggare)"),
    ("U0DEMOFILIP", "chef", SYD, "Filip (enhetschef Syd)"),
    ("U0DEMOGUN", "socialchef", None, "Gun (socialchef)"),
    ("U0DEMOHUGO", "handlaggare", SYD, "Hugo (har slutat, finns inte kvar i Slack)"),
    ("U0DEMOADA", "admin", None, "Ada (administratör)"),
)
CHAT_PEOPLE = (
    "U0DEMOANNA",
    "U0DEMOBO",
    "U0DEMOCECI",
    "U0DEMODAN",
    "U0DEMOEVA",
    "U0DEMOFILIP",
    "U0DEMOGUN",
    "U0DEMOADA",
)
NAMES = {chat_id: name for chat_id, _role, _unit, name in STAFF}
NAMES |= {ESCALATION_CHANNEL: "#barn-och-unga-nord-frister", ADMIN_CHANNEL: "#frister-drift"}

# (day of the demo, reference, enhet, handläggare, event, days before that day)
EVENTS = (
    (0, "DEMO-1001", NORD, "U0DEMOANNA", "anmalan_inkom", 0),
    (0, "DEMO-1001", NORD, "U0DEMOANNA", "skyddsbedomning_klar", 0),
    (0, "DEMO-1002", NORD, "U0DEMOBO", "anmalan_inkom", 3),
    (0, "DEMO-1002", NORD, "U0DEMOBO", "skyddsbedomning_klar", 3),
    (0, "DEMO-1003", NORD, "U0DEMOANNA", "utredning_inledd", 100),
    (0, "DEMO-1004", SYD, "U0DEMOEVA", "placering_verkstalld", 160),
    (0, "DEMO-1005", SYD, "U0DEMOEVA", "lvu_omedelbart_omhandertagande", 1),
    (0, "DEMO-1005", SYD, "U0DEMOEVA", "lvu_omhandertagande_verkstallt", 1),
    (0, "DEMO-1006", SYD, "U0DEMOHUGO", "aterkoppling_begard", 0),
    (8, "DEMO-1001", NORD, "U0DEMOANNA", "utredning_inledd", 0),  # in time: ladder stops
    (4, "DEMO-1005", SYD, "U0DEMOEVA", "lvu_understallning_gjord", 0),
    (25, "DEMO-1005", SYD, "U0DEMOEVA", "lvu_ansokan_inlamnad", 0),
    (30, "DEMO-1003", NORD, "U0DEMOANNA", "utredning_avslutad", 0),
    (12, "DEMO-1007", NORD, "U0DEMOBO", "anmalan_inkom", 0),
    (12, "DEMO-1007", NORD, "U0DEMOBO", "skyddsbedomning_klar", 0),
    (13, "DEMO-1002", NORD, "U0DEMOBO", "forhandsbedomning_klar", 0),  # late, after escalation
    (9, "DEMO-1006", SYD, "U0DEMOEVA", "aterkoppling_lamnad", 0),  # the chef took over
    (24, "DEMO-1004", SYD, "U0DEMOEVA", "overvagande_genomfort", 0),  # next one in 6 months
    (22, "DEMO-1007", NORD, "U0DEMOBO", "utredning_inledd", 0),
)


def _render(post: Post, when: datetime, tz) -> str:
    """A post as it would read in Slack: header, text, fields, buttons, footer."""
    target = post.user or post.channel
    where = _("DM to {name}") if post.user else _("in {name}")
    lines = [
        "── "
        + long_date(when.astimezone(tz).date())
        + when.astimezone(tz).strftime(" %H:%M")
        + " · "
        + where.format(name=NAMES.get(target, target))
    ]
    for block in post.blocks or []:
        kind = block.get("type")
        if kind == "header" or (kind == "section" and "text" in block):
            lines.append("   " + block["text"]["text"])
        elif kind == "section":
            fields = (f["text"].replace("*", "").replace("\n", ": ") for f in block["fields"])
            lines.append("   " + " · ".join(fields))
        elif kind == "actions":
            lines.append("   " + " ".join(f"[{e['text']['text']}]" for e in block["elements"]))
        elif kind == "context":
            lines.append("   " + " ".join(e.get("text", "") for e in block["elements"]))
    if not post.blocks:
        lines.append("   " + post.text)
    return "\n".join(lines)


def _csv(rows: list[tuple[str, str, str, str, date]]) -> str:
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    lines += [
        f"{ref};{unit};{who};{event};{day.isoformat()}" for ref, unit, who, event, day in rows
    ]
    return "\n".join(lines) + "\n"


async def _chat(app: App, slack: SlackStandIn, out, ask) -> None:
    """After the simulation: a few /frister commands as Anna and Dan type them, then (when
    someone is at the keyboard) the prompt."""
    from bot.demo_chat import DemoChat

    chat = DemoChat(app, slack, {user: NAMES[user] for user in CHAT_PEOPLE}, out)
    print(_("The chat: what Anna and Dan see in Slack.") + "\n", file=out)
    for user, text in (("U0DEMOANNA", ""), ("U0DEMODAN", "team")):
        chat.user = user
        print(
            _("{name} types: /frister {text}").format(name=NAMES[user], text=text).rstrip(),
            file=out,
        )
        await chat.command(text)
    chat.user = "U0DEMOANNA"
    await chat.home()
    if ask is not None:
        await chat.prompt(ask)


async def _print_report(app: App, today: date, out) -> None:
    """The egenkontroll of the simulated period, as `frister report --format md` prints it."""
    from bot.services.reports import build_report, to_markdown

    month = today.replace(day=1) - timedelta(days=1)
    async with app.unit_of_work() as uow:
        rows = await uow.reports.report_rows(NORD)
        events = await uow.reports.investigation_events(NORD)
    print(to_markdown(build_report(NORD, rows, month.replace(day=1), today, events)), file=out)


async def _simulate(settings: Settings, days: int, out, ask=None, chat: bool = True) -> Counter:
    tz = settings.tz
    start = datetime.now(tz).replace(hour=7, minute=0, second=0, microsecond=0)
    clock = FixedClock(start)
    counts: Counter = Counter()
    async with SlackStandIn() as slack:
        for chat_id, *_rest in STAFF:
            slack.add_user(chat_id, deleted=chat_id == "U0DEMOHUGO")
        slack.add_channel(ESCALATION_CHANNEL)
        slack.add_channel(ADMIN_CHANNEL)
        slack.on_post = lambda post: (
            counts.update(["posts"]),
            print(_render(post, clock.now(), tz) + "\n", file=out),
        )
        app = App(
            settings.model_copy(
                update={"slack_api_url": slack.url, "admin_channel": ADMIN_CHANNEL}
            ),
            clock=clock,
        )
        from handlers.slack.messenger import SlackMessenger, make_client

        async def no_wait(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        delivery = app.delivery(
            SlackMessenger(make_client("xoxb-demo", slack.url)),
            worker="demo",
            sleep=no_wait,
            policy=DeliveryPolicy(),
        )
        try:
            await app.prepare_database()
            today = local_today(clock, tz)
            async with app.unit_of_work() as uow:
                await store_staff(
                    uow,
                    [
                        StaffMember(chat_user_id=chat_id, role=Role(role), enhet=unit)
                        for chat_id, role, unit, _name in STAFF
                    ],
                    clock.now(),
                )
                await uow.cases.set_escalation_channel(NORD, ESCALATION_CHANNEL, clock.now())
            for offset in range(days):
                day = today + timedelta(days=offset)
                clock.set(datetime.combine(day, time(8, 0), tz))
                todays = [
                    (ref, unit, who, event, day - timedelta(days=back))
                    for when, ref, unit, who, event, back in EVENTS
                    if when == offset
                ]
                if offset == 15:  # Anna is away for a week; Bo stands in for her
                    async with app.unit_of_work() as uow:
                        await store_staff(
                            uow,
                            [
                                StaffMember(
                                    chat_user_id="U0DEMOANNA",
                                    role=Role.HANDLAGGARE,
                                    enhet=NORD,
                                    absent_from=day,
                                    absent_to=day + timedelta(days=7),
                                    substitute_chat_id="U0DEMOBO",
                                )
                            ],
                            clock.now(),
                        )
                    print(
                        _("   (Anna is away {start} – {end}; Bo is her substitute.)").format(
                            start=long_date(day), end=long_date(day + timedelta(days=7))
                        )
                        + "\n",
                        file=out,
                    )
                if todays:
                    report = await app.importer().run(_csv(todays))
                    counts["events"] += report.new_events
                planned = await app.planner().tick()
                counts["superseded"] += planned.superseded
                delivered = await delivery.run_once()
                counts["sent"] += delivered.sent
                counts["failed"] += delivered.failed
                # a second round the same morning delivers failure reports and retries
                clock.advance(timedelta(minutes=30))
                delivered = await delivery.run_once()
                counts["sent"] += delivered.sent
            await _print_report(app, local_today(clock, tz), out)
            if chat:
                slack.on_post = lambda post: print(_render(post, clock.now(), tz) + "\n", file=out)
                await _chat(app, slack, out, ask)
        finally:
            await app.close()
    return counts


def run_demo(
    settings: Settings, days: int = DAYS, out=None, interactive: bool = False, ask=None
) -> int:
    """The simulation, the chat showcase, and with `interactive` a /frister prompt (`ask`
    reads a line; the terminal by default)."""
    import logging
    import sys

    from bot.demo_chat import ask_terminal

    out = out or sys.stdout
    if interactive and ask is None:
        ask = ask_terminal
    elif not interactive:
        ask = None
    for name in ("bot", "frister"):  # failures and refusals are shown as messages
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="frister-demo-") as folder:
        update: dict[str, object] = {
            "database_url": f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        }
        if settings.pseudonym_key is None:
            update["pseudonym_key"] = SecretStr(secrets.token_urlsafe(32))
            print(_("Demo: no FRISTER_PSEUDONYM_KEY is set, so a temporary key is used."), file=out)
        print(
            _(
                "Frister demo: {days} simulated days with invented cases and staff, against a "
                "built-in local Slack stand-in. Every message is shown as it would appear."
            ).format(days=days)
            + "\n",
            file=out,
        )
        counts = asyncio.run(_simulate(settings.model_copy(update=update), days, out, ask))
    print(
        _(
            "Done: {sent} messages delivered, {failed} failed and reported to the escalation "
            "and admin channels, {superseded} earlier steps replaced by a later one."
        ).format(sent=counts["sent"], failed=counts["failed"], superseded=counts["superseded"]),
        file=out,
    )
    return 0
