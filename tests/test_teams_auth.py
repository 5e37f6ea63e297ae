"""The Teams auth matrix over real HTTP: activities signed with a local RSA key (served as a
JWKS the SDK fetches), POSTed into the real aiohttp app; replies go to a local connector at
the activity's serviceUrl. Good token → handled; no token, wrong audience, expired, bad
signature, wrong tenant, serviceUrl host mismatch → 401 and no effect; a redelivered activity
→ one effect; anonymous mode only when configured."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.config import load_settings
from bot.testing.teams_tokens import BOT_FRAMEWORK_ISSUER, SigningKey, local_jwks
from handlers.teams.app import build_teams_app
from storage.database import session_factory
from storage.models import ChatAddress
from tests.conftest import TEST_KEY

APP_ID = "9a8b7c6d-5e4f-3a2b-1c0d-efabcdef0123"
TENANT = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"
PERSON = "6b7c8d9e-0000-4000-8000-00000000abcd"


class Connector:
    """A minimal Bot Connector at the activity's serviceUrl: records what Frister posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, str | None]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _record(self, request: web.Request) -> web.Response:
        self.posts.append(
            (request.path, await request.json(), request.headers.get("Authorization"))
        )
        return web.json_response({"id": f"reply-{len(self.posts)}"})

    async def __aenter__(self) -> Connector:
        server = web.Application()
        server.router.add_post("/v3/conversations", self._record)
        server.router.add_post("/v3/conversations/{conversation}/activities", self._record)
        server.router.add_post(
            "/v3/conversations/{conversation}/activities/{activity}", self._record
        )
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"
        return self

    async def __aexit__(self, *_exc) -> None:
        await self._runner.cleanup()


class LocalTokens:
    """Frister's own outgoing token (MSAL in production): signed locally, no Microsoft."""

    def __init__(self, configuration) -> None:
        self._configuration = configuration

    @property
    def configuration(self):
        return self._configuration

    async def get_access_token(self, resource_url, scopes, force_refresh=False) -> str:
        return "local-outgoing-token"


def personal_message(service_url: str, text: str = "hjälp", tenant: str = TENANT) -> dict:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:person", "aadObjectId": PERSON, "name": "Anna"},
        "recipient": {"id": f"28:{APP_ID}", "name": "Frister"},
        "conversation": {
            "id": "a:personal-chat",
            "conversationType": "personal",
            "tenantId": tenant,
        },
        "channelData": {"tenant": {"id": tenant}},
        "text": text,
    }


@pytest.fixture
def key() -> SigningKey:
    return SigningKey()


async def serve(engine, clock, **settings):
    values = {
        "FRISTER_PLATFORM": "teams",
        "FRISTER_TEAMS_APP_ID": APP_ID,
        "FRISTER_TEAMS_TENANT_ID": TENANT,
        "FRISTER_TEAMS_CLIENT_SECRET": "not-used-by-the-local-token-provider",
        "FRISTER_TEAMS_SERVICE_HOSTS": "127.0.0.1",
        "FRISTER_PSEUDONYM_KEY": TEST_KEY,
    } | settings
    app = App(load_settings(**values), clock=clock, engine_override=engine)
    runner = web.AppRunner(
        build_teams_app(app, app.settings, provider=LocalTokens), access_log=None
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"


async def addresses(engine) -> int:
    async with session_factory(engine)() as session:
        return (await session.execute(select(func.count()).select_from(ChatAddress))).scalar()


async def post(url: str, activity: dict, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=activity, headers=headers) as response,
    ):
        return response.status


async def test_a_good_token_is_handled_and_the_reply_goes_to_the_service_url(engine, clock, key):
    async with local_jwks(key), Connector() as connector:
        runner, url = await serve(engine, clock)
        try:
            token = key.sign(audience=APP_ID, service_url=connector.url)
            assert await post(url, personal_message(connector.url), token) in (200, 202)
        finally:
            await runner.cleanup()
    assert await addresses(engine) == 1
    [(path, reply, authorization)] = connector.posts
    assert path.startswith("/v3/conversations/a:personal-chat/activities")  # a reply
    assert reply["type"] == "message" and reply["attachments"]
    assert authorization == "Bearer local-outgoing-token"


def _expired(key, _other, service_url):
    return key.sign(
        audience=APP_ID,
        service_url=service_url,
        now=datetime.now(UTC) - timedelta(hours=3),
        lifetime=timedelta(hours=1),
    )


REFUSED = {
    "no token": lambda key, other, url: None,
    "wrong audience": lambda key, other, url: key.sign(audience=str(uuid.uuid4()), service_url=url),
    "expired": _expired,
    "bad signature": lambda key, other, url: other.sign(audience=APP_ID, service_url=url),
    "wrong issuer": lambda key, other, url: key.sign(
        audience=APP_ID, service_url=url, issuer="https://evil.example"
    ),
    "token of another tenant": lambda key, other, url: key.sign(
        audience=APP_ID, service_url=url, tenant=OTHER_TENANT
    ),
    "serviceUrl host mismatch": lambda key, other, url: key.sign(
        audience=APP_ID, service_url="https://smba.trafficmanager.net/emea/"
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_refused_with_401_and_no_effect(engine, clock, key, case):
    other = SigningKey(kid=key.kid)  # same key id, different key: the signature cannot verify
    async with local_jwks(key), Connector() as connector:
        runner, url = await serve(engine, clock)
        try:
            token = REFUSED[case](key, other, connector.url)
            assert await post(url, personal_message(connector.url), token) == 401
        finally:
            await runner.cleanup()
    assert await addresses(engine) == 0
    assert connector.posts == []


async def test_activity_from_another_tenant_is_refused(engine, clock, key):
    async with local_jwks(key), Connector() as connector:
        runner, url = await serve(engine, clock)
        try:
            token = key.sign(audience=APP_ID, service_url=connector.url)
            activity = personal_message(connector.url, tenant=OTHER_TENANT)
            assert await post(url, activity, token) == 401
        finally:
            await runner.cleanup()
    assert await addresses(engine) == 0
    assert connector.posts == []


async def test_a_redelivered_activity_has_one_effect(engine, clock, key):
    async with local_jwks(key), Connector() as connector:
        runner, url = await serve(engine, clock)
        try:
            token = key.sign(audience=APP_ID, service_url=connector.url)
            activity = personal_message(connector.url)
            for _ in range(3):
                assert await post(url, activity, token) in (200, 202)
        finally:
            await runner.cleanup()
    assert len(connector.posts) == 1


async def test_anonymous_mode_accepts_unsigned_activities(engine, clock):
    async with Connector() as connector:
        runner, url = await serve(engine, clock, FRISTER_TEAMS_AUTH="anonymous")
        try:
            assert await post(url, personal_message(connector.url), None) in (200, 202)
        finally:
            await runner.cleanup()
    assert await addresses(engine) == 1
    [(_path, _reply, authorization)] = connector.posts
    assert authorization in (None, "Bearer", "Bearer ")  # anonymous: sent without a token


async def test_anonymous_mode_answers_only_a_local_connector(engine, clock):
    runner, url = await serve(engine, clock, FRISTER_TEAMS_AUTH="anonymous")
    try:
        activity = personal_message("https://smba.trafficmanager.net/emea/")
        assert await post(url, activity, None) == 401
    finally:
        await runner.cleanup()
    assert await addresses(engine) == 0


async def test_healthz_and_other_routes_are_not_behind_the_token(engine, clock):
    app = App(
        load_settings(
            FRISTER_TEAMS_APP_ID=APP_ID,
            FRISTER_TEAMS_TENANT_ID=TENANT,
            FRISTER_TEAMS_CLIENT_SECRET="x",
            FRISTER_PSEUDONYM_KEY=TEST_KEY,
        ),
        clock=clock,
        engine_override=engine,
    )
    base = web.Application()

    async def healthz(_request):
        return web.json_response({"ok": True})

    base.router.add_get("/healthz", healthz)
    runner = web.AppRunner(build_teams_app(app, app.settings, web_app=base), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            async with session.post(f"http://127.0.0.1:{port}/api/messages", json={}) as response:
                assert response.status == 401
    finally:
        await runner.cleanup()


def test_the_sdk_still_routes_bot_framework_keys_through_the_name_we_patch():
    """bot.testing.teams_tokens points the SDK at a local JWKS through a private SDK name; an
    SDK upgrade that moves or renames it must fail here, not silently test nothing."""
    from microsoft_agents.hosting.core.authorization import _entra_issuers
    from microsoft_agents.hosting.core.authorization.jwt import jwt_token_validator

    assert _entra_issuers.BOTFRAMEWORK_JWKS_URIS is jwt_token_validator.BOTFRAMEWORK_JWKS_URIS
    assert BOT_FRAMEWORK_ISSUER in _entra_issuers.BOTFRAMEWORK_JWKS_URIS
