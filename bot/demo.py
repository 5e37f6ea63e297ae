"""`frister demo`: 60 simulated days on sample pseudonymised cases, no Slack or Teams needed.

Everything real runs: the embedded SQLite, migrations, the CSV importer, the planner, the
delivery loop and the platform's client, which talks over HTTP to a built-in local stand-in
(Slack's Web API, or with `platform="teams"` the Bot Framework connector, see bot/demo_teams.py).
The clock is simulated; every message is printed as it would appear in Slack or Teams.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from bot.bootstrap import App
from bot.clock import FixedClock, local_today
from bot.config import Settings
from bot.demo_chat import with_names
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.formatting import long_date
from bot.i18n import _
from bot.ports.messenger import Messenger
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
    (0, "DEMO-1006", SYD, "U0DEMOHUGO", "forhandsbedomning_klar", 2),
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


def header(when: datetime, tz, where: str) -> str:
    """`── torsdag 3 december 2026 08:00 · DM till Anna`: when and where a message arrives."""
    local = when.astimezone(tz)
    return "── " + long_date(local.date()) + local.strftime(" %H:%M") + " · " + where


def _render(post: Post, when: datetime, tz) -> str:
    """A post as it would read in Slack: header, text, fields, buttons, footer."""
    target = post.user or post.channel
    where = _("DM to {name}") if post.user else _("in {name}")
    lines = [header(when, tz, where.format(name=NAMES.get(target, target)))]
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
    return with_names("\n".join(lines), NAMES)


class Cast:
    """The demo's people and channels as one platform names them (the tables above use the
    Slack names; another platform maps them to its own)."""

    def __init__(
        self,
        ids: dict[str, str] | None = None,
        emails: dict[str, str] | None = None,
        channels: dict[str, str] | None = None,
    ) -> None:
        self.ids = ids or {}
        self.emails = emails or {}
        self.channels = channels or {}

    def person(self, who: str) -> str:
        """The chat user id of a demo person."""
        return self.ids.get(who, who)

    def handle(self, who: str) -> str:
        """How the case system's export names a handläggare: e-mail when known, else chat id."""
        return self.emails.get(who) or self.person(who)

    def email(self, who: str) -> str | None:
        return self.emails.get(who)

    def channel(self, name: str) -> str:
        return self.channels.get(name, name)


class Stage(Protocol):
    """A chat platform the demo runs against: its local stand-in, its messenger and its chat."""

    cast: Cast

    async def __aenter__(self) -> Stage: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def app(self, settings: Settings, clock: FixedClock) -> App: ...

    async def prepare(self, app: App) -> None: ...

    def messenger(self, app: App) -> Messenger: ...

    def show(self, printed: Callable[[str], None], now: Callable[[], datetime]) -> None:
        """Print every message the stand-in receives (`printed` gets the rendered text)."""

    async def chat(self, app: App, out, ask) -> None: ...


class SlackStage:
    """The local Slack stand-in, the real Slack Web API client and the real Bolt app."""

    cast = Cast()

    def __init__(self, tz) -> None:
        self.tz = tz
        self.slack = SlackStandIn()

    async def __aenter__(self) -> SlackStage:
        await self.slack.__aenter__()
        for chat_id, *_rest in STAFF:
            self.slack.add_user(chat_id, deleted=chat_id == "U0DEMOHUGO")
        self.slack.add_channel(ESCALATION_CHANNEL)
        self.slack.add_channel(ADMIN_CHANNEL)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.slack.__aexit__(*exc_info)

    def app(self, settings: Settings, clock: FixedClock) -> App:
        return App(
            settings.model_copy(
                update={"slack_api_url": self.slack.url, "admin_channel": ADMIN_CHANNEL}
            ),
            clock=clock,
        )

    async def prepare(self, app: App) -> None:
        return None

    def messenger(self, app: App) -> Messenger:
        from handlers.slack.messenger import SlackMessenger, make_client

        return SlackMessenger(make_client("xoxb-demo", self.slack.url))

    def show(self, printed: Callable[[str], None], now: Callable[[], datetime]) -> None:
        self.slack.on_post = lambda post: printed(_render(post, now(), self.tz))

    async def chat(self, app: App, out, ask) -> None:
        await _chat(app, self.slack, out, ask)


async def _chat(app: App, slack: SlackStandIn, out, ask) -> None:
    """After the simulation: a few /frister commands as Anna and Dan type them, then (when
    someone is at the keyboard) the prompt."""
    from bot.demo_chat import DemoChat

    chat = DemoChat(app, slack, {user: NAMES[user] for user in CHAT_PEOPLE}, out)
    chat.shown = NAMES
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
    from bot.services.report_formats import to_markdown
    from bot.services.report_snapshots import month_report

    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    async with app.unit_of_work() as uow:
        report = await month_report(uow, NORD, month, today, app.clock.now())
    print(to_markdown(report), file=out)


def _csv(rows: list[tuple[str, str, str, str, date]]) -> str:
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    lines += [
        f"{ref};{unit};{who};{event};{day.isoformat()}" for ref, unit, who, event, day in rows
    ]
    return "\n".join(lines) + "\n"


def _stage(platform: str, tz) -> Stage:
    if platform == "teams":
        from bot.demo_teams import TeamsStage

        return TeamsStage(tz)
    return SlackStage(tz)


async def _simulate(
    settings: Settings, days: int, out, ask=None, chat: bool = True, platform: str = "slack"
) -> Counter:
    tz = settings.tz
    start = datetime.now(tz).replace(hour=7, minute=0, second=0, microsecond=0)
    clock = FixedClock(start)
    counts: Counter = Counter()

    def printed(text: str) -> None:
        counts.update(["posts"])
        print(text + "\n", file=out)

    async with _stage(platform, tz) as stage:
        cast = stage.cast
        stage.show(printed, clock.now)
        app = stage.app(settings, clock)

        async def no_wait(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        messenger = stage.messenger(app)
        delivery = app.delivery(messenger, worker="demo", sleep=no_wait, policy=DeliveryPolicy())
        try:
            await app.prepare_database()
            await stage.prepare(app)
            today = local_today(clock, tz)
            async with app.unit_of_work() as uow:
                await store_staff(
                    uow,
                    [
                        StaffMember(
                            chat_user_id=cast.person(chat_id),
                            email=cast.email(chat_id),
                            role=Role(role),
                            enhet=unit,
                            name=name.split()[0],
                        )
                        for chat_id, role, unit, name in STAFF
                    ],
                    clock.now(),
                )
                await uow.cases.set_escalation_channel(
                    NORD, cast.channel(ESCALATION_CHANNEL), clock.now()
                )
            for offset in range(days):
                day = today + timedelta(days=offset)
                clock.set(datetime.combine(day, time(8, 0), tz))
                todays = [
                    (ref, unit, cast.handle(who), event, day - timedelta(days=back))
                    for when, ref, unit, who, event, back in EVENTS
                    if when == offset
                ]
                if offset == 15:  # Anna is away for a week; Bo stands in for her
                    async with app.unit_of_work() as uow:
                        await store_staff(
                            uow,
                            [
                                StaffMember(
                                    chat_user_id=cast.person("U0DEMOANNA"),
                                    email=cast.email("U0DEMOANNA"),
                                    role=Role.HANDLAGGARE,
                                    enhet=NORD,
                                    absent_from=day,
                                    absent_to=day + timedelta(days=7),
                                    substitute_chat_id=cast.person("U0DEMOBO"),
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
                await stage.chat(app, out, ask)
        finally:
            aclose = getattr(messenger, "aclose", None)
            if aclose is not None:
                await aclose()
            await app.close()
    return counts


PLATFORMS = ("slack", "teams")


def run_demo(
    settings: Settings,
    days: int = DAYS,
    out=None,
    interactive: bool = False,
    ask=None,
    platform: str = "slack",
) -> int:
    """The simulation, the chat showcase, and with `interactive` a prompt (`ask` reads a line;
    the terminal by default), against the local stand-in of `platform` (slack or teams)."""
    import logging
    import sys

    from bot.demo_chat import ask_terminal

    out = out or sys.stdout
    if interactive and ask is None:
        ask = ask_terminal
    elif not interactive:
        ask = None
    # failures and refusals are shown as messages; the Agents SDK warns about anonymous mode
    for name in ("bot", "frister", "microsoft_agents"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="frister-demo-") as folder:
        update: dict[str, object] = {
            "database_url": f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        }
        if settings.pseudonym_key is None:
            update["pseudonym_key"] = SecretStr(secrets.token_urlsafe(32))
            print(_("Demo: no FRISTER_PSEUDONYM_KEY is set, so a temporary key is used."), file=out)
        if platform == "teams":
            intro = _(
                "Frister demo: {days} simulated days with invented cases and staff, against a "
                "built-in local Teams stand-in. Every message is shown as it would appear."
            )
        else:
            intro = _(
                "Frister demo: {days} simulated days with invented cases and staff, against a "
                "built-in local Slack stand-in. Every message is shown as it would appear."
            )
        print(intro.format(days=days) + "\n", file=out)
        counts = asyncio.run(
            _simulate(settings.model_copy(update=update), days, out, ask, platform=platform)
        )
    print(
        _(
            "Done: {sent} messages delivered, {failed} failed and reported to the escalation "
            "and admin channels, {superseded} earlier steps replaced by a later one."
        ).format(sent=counts["sent"], failed=counts["failed"], superseded=counts["superseded"]),
        file=out,
    )
    return 0
