"""Bot Framework-style tokens for tests: a local RSA key, its JWKS served over real local HTTP,
and a function that signs tokens the way the Bot Connector does (iss, aud, exp, nbf,
serviceurl, and tid when a test wants one).

The SDK fetches the signing keys from a URL chosen by the token's issuer
(`BOTFRAMEWORK_JWKS_URIS` in microsoft_agents.hosting.core.authorization._entra_issuers, a
private name); `local_jwks()` points the Bot Framework issuer at the local key set for as long
as it runs. tests/test_teams_auth.py fails loudly if an SDK upgrade moves that name.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


class SigningKey:
    """An RSA key pair with a key id, as one entry of a JWKS."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        data = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return data | {"kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(
        self,
        *,
        audience: str,
        service_url: str,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        tenant: str | None = None,
        now: datetime | None = None,
        lifetime: timedelta = timedelta(hours=1),
        **claims: object,
    ) -> str:
        now = now or datetime.now(UTC)
        payload: dict[str, object] = {
            "iss": issuer,
            "aud": audience,
            "nbf": int((now - timedelta(minutes=1)).timestamp()),
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "serviceurl": service_url,
            **claims,
        }
        if tenant is not None:
            payload["tid"] = tenant
        return jwt.encode(payload, self.private, algorithm="RS256", headers={"kid": self.kid})


def _sdk_jwks_uris() -> dict[str, str]:
    from microsoft_agents.hosting.core.authorization import _entra_issuers

    return _entra_issuers.BOTFRAMEWORK_JWKS_URIS


@contextlib.asynccontextmanager
async def local_jwks(*keys: SigningKey, issuer: str = BOT_FRAMEWORK_ISSUER) -> AsyncIterator[str]:
    """Serve the keys' JWKS on 127.0.0.1 (port 0) and make the SDK fetch `issuer`'s signing
    keys from it; yields the JWKS URL. Restores the SDK's URL afterwards."""

    async def keys_json(_request: web.Request) -> web.Response:
        return web.json_response({"keys": [key.jwk() for key in keys]})

    server = web.Application()
    server.router.add_get("/keys", keys_json)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/keys"
    uris = _sdk_jwks_uris()
    before = uris.get(issuer)
    uris[issuer] = url
    try:
        yield url
    finally:
        if before is None:
            uris.pop(issuer, None)
        else:
            uris[issuer] = before
        await runner.cleanup()
