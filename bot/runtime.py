"""`frister serve`: the long-running bot. APScheduler only drives the ticks; the database
holds every deadline and message, so a restart loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import App
from bot.config import Settings, SettingsError
from bot.i18n import _
from bot.services.selfaudit import SelfAudit

log = logging.getLogger("frister")


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
        self.audit = SelfAudit(
            app.unit_of_work, app.clock, timedelta(seconds=settings.tick_seconds)
        )
        self.scheduler = AsyncIOScheduler(timezone=settings.tz)
        self.web = web_app if web_app is not None else web.Application()  # Teams: its app
        self.web.router.add_get("/healthz", self.healthz)
        if bolt is not None and settings.mode == "http":
            self.web.router.add_post("/slack/events", self.slack_events)
        self.watchdog = app.watchdog()
        self.reports = app.monthly_reports()
        self._delivering = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def plan(self) -> None:
        try:
            result = await self.planner.tick()
            if result.planned:
                log.info("planned %s messages for %s deadlines", result.planned, result.deadlines)
        except Exception:  # the next tick retries; the self-audit reports a stalled planner
            log.exception("planning tick failed")

    async def optimize(self) -> None:
        """Daily: the query planner's statistics follow the data (storage.database.optimize)."""
        try:
            await self.app.optimize_database()
        except Exception:  # tomorrow retries; the queries do not depend on it
            log.exception("refreshing the database statistics failed")

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
        except Exception:  # rows stay claimed until their lease ends, then are retried
            log.exception("delivery failed")

    async def oversight(self) -> None:
        """Daily: the intake watchdog, and on the first working day the monthly reports."""
        try:
            silences = await self.watchdog.check()
            if silences:
                log.warning("intake silence in %s enhet(er)", len(silences))
            await self.reports.post_if_due()
        except Exception:  # tomorrow's run retries; alarms already planned are in the outbox
            log.exception("oversight job failed")

    async def self_audit(self) -> None:
        health = await self.audit.check()
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
        health = await self.audit.check()
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
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def start(self) -> None:
        settings = self.app.settings
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
            self.optimize, "cron", hour=3, minute=30, max_instances=1, coalesce=True
        )
        self.scheduler.start()
        await self.start_web()
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
        if self.socket is not None:
            await self.socket.close_async()
        if self._runner:
            await self._runner.cleanup()


def serve(settings: Settings) -> int:
    if settings.platform == "teams":
        return serve_teams(settings)
    from slack_sdk.web.async_client import AsyncWebClient

    from handlers.slack.app import build as build_bolt
    from handlers.slack.messenger import SlackMessenger, make_client

    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
        await app.prepare_database()
        token = settings.slack_bot_token.get_secret_value()
        client = make_client(token, settings.slack_api_url)
        secret = settings.slack_signing_secret
        bolt = build_bolt(
            app.services(),
            client=AsyncWebClient(token=token, base_url=settings.slack_api_url),
            signing_secret=secret.get_secret_value() if secret else None,
        )
        await run_until_stopped(Runtime(app, SlackMessenger(client), bolt), app.close)

    asyncio.run(main())
    return 0


async def run_until_stopped(runtime: Runtime, *closers: Callable[[], Awaitable[None]]) -> None:
    """Run until SIGINT or SIGTERM, then stop the runtime and close the rest, in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
        for close in closers:
            await close()


def serve_teams(settings: Settings) -> int:
    """Teams: POST /api/messages and /healthz on one aiohttp server; the outbox sends through
    the Teams messenger to the stored addresses."""
    from handlers.teams.app import build_teams_app
    from handlers.teams.auth import check

    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    check(settings)

    async def main() -> None:
        app = App(settings)
        await app.prepare_database()
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
