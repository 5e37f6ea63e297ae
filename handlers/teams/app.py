"""The Teams inbound app: the Agents SDK's AgentApplication and CloudAdapter on aiohttp.

Only `POST /api/messages` is guarded by the SDK's JWT validation (the route decorator, so the
server's other routes such as /healthz stay open); the token's audience must be the app id,
its issuer Microsoft's, its serviceurl claim must match the activity's serviceUrl (the host
validator is on), and the activity's tenant (and the token's, when it names one) must be in
FRISTER_TEAMS_TENANT_ID.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import (
    AgentApplication,
    ApplicationOptions,
    MemoryStorage,
    TurnContext,
    TurnState,
)

from bot.config import Settings
from bot.ports.addresses import AddressBook
from handlers.teams import activities
from handlers.teams.auth import (
    ProviderFactory,
    auth_configuration,
    check,
    connections,
    service_url_validator,
)
from handlers.teams.home import HomeCards
from handlers.teams.turns import Turns, failed

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger("frister.teams")
ROUTE = "/api/messages"
# Their DEBUG logs may print activities (what people typed): never below INFO.
QUIET_LOGGERS = ("microsoft_agents",)


def build_teams_app(
    app: App,
    settings: Settings,
    *,
    book: AddressBook | None = None,
    provider: ProviderFactory | None = None,
    web_app: web.Application | None = None,
) -> web.Application:
    """The aiohttp application serving POST /api/messages (on `web_app` when given).
    `provider` replaces MSAL as the source of Frister's own tokens (tests)."""
    check(settings)
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    configuration = auth_configuration(settings)
    manager = connections(configuration, provider)
    adapter = CloudAdapter(
        connection_manager=manager, host_validator=service_url_validator(settings)
    )
    agent = AgentApplication[TurnState](
        ApplicationOptions(
            storage=MemoryStorage(),
            start_typing_timer=False,
            remove_recipient_mention=False,
        ),
        connection_manager=manager,
    )
    chat, book = app.chat(), book or app.address_book()
    homes = HomeCards(chat, app.unit_of_work, book, app.clock)
    turns = Turns(chat, book, app.clock, homes, answers=app.answer_pool)
    agent.add_route(lambda _context: True, turns)

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed: %s", type(error).__name__)
        await failed(context)

    agent.error(on_error)
    adapter.on_turn_error = on_error

    @jwt_authorization_decorator
    async def messages(request: web.Request) -> web.Response:
        try:
            activity = await request.json()
        except ValueError:
            return web.json_response({"error": "Invalid JSON"}, status=400)
        if not isinstance(activity, dict) or not tenant_allowed(settings, request, activity):
            log.warning("a Teams activity from a tenant not in FRISTER_TEAMS_TENANT_ID")
            return web.json_response({"error": "Tenant not allowed."}, status=401)
        return await adapter.process(request, agent)

    web_app = web_app if web_app is not None else web.Application()
    with warnings.catch_warnings():  # the SDK's middleware reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        web_app["agent_configuration"] = configuration
    web_app.router.add_post(ROUTE, messages)
    return web_app


def tenant_allowed(settings: Settings, request: web.Request, activity: dict) -> bool:
    """The activity's tenant, and the token's `tid` when it has one, must be allowed. With no
    allow-list (anonymous mode only) any tenant is."""
    allowed = settings.teams_tenants
    if not allowed:
        return settings.teams_auth == "anonymous"
    identity = request.get("claims_identity")
    claimed = identity.get_claim_value("tid") if identity is not None else None
    if claimed is not None and str(claimed).lower() not in allowed:
        return False
    return activities.tenant(activity) in allowed
