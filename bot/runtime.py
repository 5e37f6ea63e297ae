"""`frister serve`: the long-running bot. APScheduler only drives the ticks; the database
holds every deadline and message, so a restart loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import App
from bot.cli.errors import EXIT_PROBLEM, CliError
from bot.config import Settings, SettingsError
from bot.errorlog import FailureLog
from bot.i18n import _
from bot.services.answer_pool import housekeeping
from bot.services.selfaudit import SelfAudit
from storage.outage import DISK_FULL, checkpoint, outage_kind

log = logging.getLogger("frister")
RETRY_FIRST, RETRY_MAX = 0.5, 15.0  # seconds between attempts to reach the database at start
STOP_GRACE = 5.0  # seconds a delivery round in progress may take to finish on shutdown


class Runtime:
    """Scheduler jobs, the health endpoint and the Slack app: in HTTP mode on this process's
    aiohttp server (POST /slack/events), in Socket Mode over Slack's WebSocket."""

    def __init__(self, app: App, messenger, bolt=None, web_app: web.Application | None = None):
        self.app = app
        self.bolt = bolt
        self.socket = None
        settings = app.settings
        self.planner = app.planner()
        self.delivery = app.delivery(messenger)
        self.answers = app.answer_pool
        self.audit = SelfAudit(
            app.unit_of_work,
            app.clock,
            timedelta(seconds=settings.tick_seconds),
            answers=self.answers.counts,
        )
        self.scheduler = AsyncIOScheduler(timezone=settings.tz)
        self.web = web_app if web_app is not None else web.Application()  # Teams: its app
        self.web.router.add_get("/healthz", self.healthz)
        if bolt is not None and settings.mode == "http":
            self.web.router.add_post("/slack/events", self.slack_events)
        self.watchdog = app.watchdog()
        self.reports = app.monthly_reports()
        self.workload = app.workload_watch()
        self._delivering = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.failures = FailureLog(log)
        self.waiting_for: str | None = "starting"  # until the database answered once

    def _failed(self, job: str, error: Exception) -> str | None:
        """One line per job and kind of failure a minute, without the error's text; its kind."""
        kind = outage_kind(error)
        self.failures.failed(job, error, kind)
        return kind

    async def plan(self) -> None:
        try:
            result = await self.planner.tick()
            if result.planned:
                log.info("planned %s messages for %s deadlines", result.planned, result.deadlines)
        except Exception as error:  # the next tick retries; the self-audit reports a stall
            await self._outage("planning tick", error)
        else:
            self.failures.recovered("planning tick")
        try:
            await housekeeping(
                self.app.unit_of_work,
                self.app.clock,
                replay_window=self.app.limits.replay_memory,
                worker=self.app.worker_id,
                counts=self.answers.counts(),
            )
        except Exception as error:  # the next tick retries
            self._failed("housekeeping", error)

    async def optimize(self) -> None:
        """Daily: the query planner's statistics follow the data (storage.database.optimize)."""
        try:
            await self.app.optimize_database()
        except Exception as error:  # tomorrow retries; the queries do not depend on it
            self._failed("refreshing the database statistics", error)

    async def deliver(self) -> None:
        if self._delivering.locked():  # one delivery loop per process (the lease is per worker)
            return
        try:
            async with self._delivering:
                result = await self.delivery.run_once()
            if result.sent or result.failed:
                log.info(
                    "sent %s, failed %s, retrying %s", result.sent, result.failed, result.retried
                )
        except Exception as error:  # rows stay claimed until their lease ends, then are retried
            await self._outage("delivery", error)
            return
        except asyncio.CancelledError:  # shut down mid-round: the lease brings the rows back
            log.warning("delivery stopped mid-round; its messages are retried after their lease")
            return
        self.failures.recovered("delivery")

    async def _outage(self, job: str, error: Exception) -> None:
        """Log the failure; on a full disk give SQLite's write-ahead log its space back, so
        that the next round can write once there is room again."""
        if self._failed(job, error) == DISK_FULL:
            with contextlib.suppress(Exception):
                await checkpoint(self.app.engine)

    async def oversight(self) -> None:
        """Daily: the intake watchdog, the workload warnings, on the first working day the
        monthly reports (and the weekly workload message if Monday's run was missed)."""
        try:
            silences = await self.watchdog.check()
            if silences:
                log.warning("intake silence in %s enhet(er)", len(silences))
            await self.reports.post_if_due()
            await self.workload.daily()
            await self.workload.weekly_if_due()
        except Exception as error:  # tomorrow's run retries; planned alarms are in the outbox
            self._failed("oversight job", error)

    async def weekly(self) -> None:
        """Monday 08:00: the workload message to every chef."""
        try:
            await self.workload.weekly_if_due()
        except Exception as error:  # the daily oversight catches up later in the week
            self._failed("weekly workload message", error)

    async def self_audit(self) -> None:
        try:
            health = await self.audit.check()
        except Exception as error:
            self._failed("self-audit", error)
            return
        if not health.ok:
            log.error("self-audit failed: %s", health.checks)
            return
        url = self.app.settings.heartbeat_url
        if url:
            try:
                async with aiohttp.ClientSession() as session:
                    await session.get(url, timeout=aiohttp.ClientTimeout(total=10))
            except (aiohttp.ClientError, TimeoutError):
                log.warning("heartbeat to the monitoring URL failed")

    async def healthz(self, _request: web.Request) -> web.Response:
        if self.waiting_for is not None:
            return unavailable(self.waiting_for)
        try:
            health = await self.audit.check()
        except Exception as error:  # the database is down or broken: say so, as JSON
            return unavailable(self._failed("health check", error) or type(error).__name__)
        return web.json_response(health.as_json(), status=200 if health.ok else 503)

    async def slack_events(self, request: web.Request) -> web.Response:
        """Slash commands, interactions and events from Slack (signed; Bolt verifies)."""
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def start_web(self) -> None:
        """The HTTP server: /healthz, and /slack/events in HTTP mode."""
        settings = self.app.settings
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.http_host, settings.http_port)
        try:
            await site.start()
        except OSError as error:
            raise CliError(
                listen_error(error, settings.http_host, settings.http_port), EXIT_PROBLEM
            ) from None
        self.port = self._runner.addresses[0][1]

    async def wait_for_database(self) -> None:
        """Prepare the database, waiting with backoff while it cannot be reached: one log line
        an attempt, /healthz answers 503 meanwhile. Other errors (an outdated schema) end."""
        delay, attempt = RETRY_FIRST, 1
        while True:
            try:
                await self.app.prepare_database()
            except Exception as error:
                kind = outage_kind(error)
                if kind is None:
                    raise
                self.waiting_for = kind
                log.warning(
                    "attempt %s to reach the database failed (%s: %s); next in %.1f s; "
                    "/healthz on port %s answers 503 until then",
                    attempt,
                    kind,
                    type(error).__name__,
                    delay,
                    self.port,
                )
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, RETRY_MAX), attempt + 1
                continue
            if attempt > 1:
                log.info("the database answered at attempt %s", attempt)
            self.waiting_for = None
            return

    async def start(self) -> None:
        settings = self.app.settings
        await self.start_web()
        await self.wait_for_database()
        # What start-up built (modules, rule pack, calendar, app objects) lives as long as the
        # process: out of the collector's generations, so that no tick re-scans it.
        gc.collect()
        gc.freeze()
        await self.plan()
        self.scheduler.add_job(
            self.plan, "interval", seconds=settings.tick_seconds, max_instances=1, coalesce=True
        )
        self.scheduler.add_job(
            self.deliver,
            "interval",
            seconds=settings.delivery_seconds,
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(self.self_audit, "interval", minutes=5, max_instances=1)
        self.scheduler.add_job(
            self.oversight, "cron", hour=9, minute=0, max_instances=1, coalesce=True
        )
        self.scheduler.add_job(
            self.weekly, "cron", day_of_week="mon", hour=8, minute=0, max_instances=1
        )
        self.scheduler.add_job(
            self.optimize, "cron", hour=3, minute=30, max_instances=1, coalesce=True
        )
        self.scheduler.start()
        if self.bolt is not None and settings.mode == "socket" and settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self.socket = AsyncSocketModeHandler(
                self.bolt, settings.slack_app_token.get_secret_value()
            )
            await self.socket.connect_async()
            log.info("connected to Slack in Socket Mode")
        log.info(
            "Frister is running; health on http://%s:%s/healthz", settings.http_host, self.port
        )
        asyncio.get_running_loop().create_task(self.deliver())

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with contextlib.suppress(TimeoutError):  # let a round record what it sent
            async with asyncio.timeout(STOP_GRACE), self._delivering:
                pass
        if self.socket is not None:
            await self.socket.close_async()
        if self._runner:
            await self._runner.cleanup()
        await self.answers.stop()  # the answers already queued, then no more


def configure_logging(level: str) -> None:
    """The log format and level; aiosqlite never below INFO (at DEBUG it logs every statement
    with its bound parameters)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    floor = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
    logging.getLogger("aiosqlite").setLevel(floor)


def unavailable(kind: str) -> web.Response:
    """/healthz while the database cannot be used: 503 and the same JSON shape."""
    check = {"ok": False, "error": kind}
    return web.json_response({"ok": False, "checks": {"database": check}}, status=503)


def listen_error(error: OSError, host: str, port: int) -> str:
    """One Swedish line for a port the HTTP server cannot listen on."""
    if error.errno == errno.EADDRINUSE:
        return _(
            "Port {port} on {host} is already in use: stop the program using it or choose "
            "another port with FRISTER_HTTP_PORT."
        ).format(port=port, host=host)
    return _(
        "Cannot listen on {host}:{port} ({reason}): check FRISTER_HTTP_HOST and FRISTER_HTTP_PORT."
    ).format(host=host, port=port, reason=error.strerror or type(error).__name__)


def serve(settings: Settings) -> int:
    if settings.platform == "teams":
        return serve_teams(settings)
    from slack_sdk.web.async_client import AsyncWebClient

    from handlers.slack.app import build as build_bolt
    from handlers.slack.messenger import SlackMessenger, make_client

    configure_logging(settings.log_level)
    if settings.slack_bot_token is None:
        raise SettingsError(
            _("The setting SLACK_BOT_TOKEN is missing: Frister cannot send without it.")
        )
    if settings.mode == "socket" and settings.slack_app_token is None:
        raise SettingsError(
            _(
                "The setting SLACK_APP_TOKEN is missing: Socket Mode needs it (or set "
                "FRISTER_MODE=http)."
            )
        )
    if settings.mode == "http" and settings.slack_signing_secret is None:
        raise SettingsError(_("The setting SLACK_SIGNING_SECRET is missing: HTTP mode needs it."))

    async def main() -> None:
        app = App(settings)
        token = settings.slack_bot_token.get_secret_value()
        session = aiohttp.ClientSession()  # one for the Web API and the response_urls
        client = make_client(token, settings.slack_api_url, session=session)
        secret = settings.slack_signing_secret
        bolt = build_bolt(
            app.services(),
            client=AsyncWebClient(token=token, base_url=settings.slack_api_url, session=session),
            signing_secret=secret.get_secret_value() if secret else None,
        )
        runtime = Runtime(app, SlackMessenger(client), bolt)
        await run_until_stopped(runtime, session.close, app.close)

    asyncio.run(main())
    return 0


async def run_until_stopped(runtime: Runtime, *closers: Callable[[], Awaitable[None]]) -> None:
    """Run until SIGINT or SIGTERM, then stop the runtime and close the rest, in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    starting = asyncio.ensure_future(runtime.start())  # may wait long for the database
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start ends here, with its error
            await stopping
    finally:
        for task in (starting, stopping):
            task.cancel()
        # a failed start is raised above; here its task is only collected, so the rest still closes
        await asyncio.gather(starting, stopping, return_exceptions=True)
        try:
            await runtime.stop()
        finally:
            for close in closers:
                await close()


def serve_teams(settings: Settings) -> int:
    """Teams: POST /api/messages and /healthz on one aiohttp server; the outbox sends through
    the Teams messenger to the stored addresses."""
    from handlers.teams.app import build_teams_app
    from handlers.teams.auth import check

    configure_logging(settings.log_level)
    check(settings)

    async def main() -> None:
        app = App(settings)
        messenger = teams_messenger(app)
        runtime = Runtime(app, messenger, web_app=build_teams_app(app, settings))
        await run_until_stopped(runtime, messenger.aclose, app.close)

    asyncio.run(main())
    return 0


def teams_messenger(app: App):
    """The outbox's Teams messenger (also for `frister tick` on Teams): MSAL tokens, or none in
    anonymous local mode; it sends to the stored addresses' service URLs."""
    from handlers.teams.auth import auth_configuration
    from handlers.teams.messenger import TeamsMessenger, no_token, sdk_token_provider

    settings = app.settings
    if settings.teams_auth == "anonymous":
        token = no_token
    else:
        from microsoft_agents.authentication.msal import MsalAuth

        token = sdk_token_provider(MsalAuth(auth_configuration(settings)))
    from handlers.teams.names import address_names

    return TeamsMessenger(
        app.address_book(),
        names=address_names(app.address_book()),
        bot_id=f"28:{settings.teams_app_id or 'frister'}",
        token=token,
        clock=app.clock,
    )
