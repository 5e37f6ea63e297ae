"""Who may talk to Frister in Teams, and how Frister proves itself: the Agents SDK's JWT
validation (issuer, audience = the app id), the serviceUrl hosts an activity may name, and the
credential Frister uses to answer (client secret, certificate or managed identity)."""

from __future__ import annotations

from collections.abc import Callable

from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    AuthTypes,
    ConnectionManager,
    OutboundHostValidator,
)
from yarl import URL

from bot.config import Settings, SettingsError, is_loopback
from bot.i18n import _

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
ProviderFactory = Callable[[AgentAuthConfiguration], AccessTokenProviderBase]


def check(settings: Settings) -> None:
    """Refuse to serve Teams without what signed mode needs (one Swedish line)."""
    if settings.teams_auth == "anonymous":
        return
    if not settings.teams_app_id:
        raise SettingsError(
            _("The setting FRISTER_TEAMS_APP_ID is missing: Teams needs the app's client id.")
        )
    if not settings.teams_tenants:
        raise SettingsError(
            _(
                "The setting FRISTER_TEAMS_TENANT_ID is missing: name the municipality's "
                "tenant (only its activities are accepted)."
            )
        )
    if not (
        settings.teams_client_secret
        or settings.teams_certificate
        or settings.teams_managed_identity
    ):
        raise SettingsError(
            _(
                "The setting FRISTER_TEAMS_CLIENT_SECRET is missing: set it, "
                "FRISTER_TEAMS_CERTIFICATE or FRISTER_TEAMS_MANAGED_IDENTITY."
            )
        )


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's configuration: anonymous only when asked for (and on loopback, which the
    settings enforce); otherwise tokens for the app id, from an accepted issuer."""
    tenant = settings.teams_tenants[0] if settings.teams_tenants else None
    if settings.teams_auth == "anonymous":
        return AgentAuthConfiguration(
            client_id=settings.teams_app_id, tenant_id=tenant, anonymous_allowed=True
        )
    secret = settings.teams_client_secret
    if settings.teams_managed_identity:
        auth_type, extra = AuthTypes.user_managed_identity, {}
    elif settings.teams_certificate is not None:
        auth_type, extra = AuthTypes.certificate, {"cert_pfx_file": str(settings.teams_certificate)}
    else:
        auth_type, extra = AuthTypes.client_secret, {}
    return AgentAuthConfiguration(
        auth_type=auth_type,
        client_id=settings.teams_app_id,
        tenant_id=tenant,
        client_secret=secret.get_secret_value() if secret else None,
        anonymous_allowed=False,
        validate_issuer=True,
        **extra,
    )


def connections(
    configuration: AgentAuthConfiguration, provider: ProviderFactory | None = None
) -> ConnectionManager:
    """The SDK's connection manager: Frister's one identity (MSAL unless a test passes its
    own token provider)."""
    return ConnectionManager(
        provider_factory=provider or MsalAuth,
        connections_configurations={"SERVICE_CONNECTION": configuration},
    )


class ServiceUrlValidator(OutboundHostValidator):
    """The SDK's host validator (Microsoft's Teams hosts, HTTPS, no private addresses), which
    also makes the token's serviceurl claim match the activity's serviceUrl; plus the hosts
    named in FRISTER_TEAMS_SERVICE_HOSTS, where a loopback host may use plain HTTP (a local
    connector for trying and testing)."""

    def __init__(self, extra_hosts: tuple[str, ...], *, microsoft: bool) -> None:
        super().__init__(
            list(extra_hosts) or None, enabled=True, include_default_microsoft_hosts=microsoft
        )
        self._extra = tuple(host.strip("[]").lower() for host in extra_hosts)

    def is_allowed(self, url: str | URL) -> bool:
        try:
            parsed = URL(str(url))
        except (TypeError, ValueError):
            return False
        host = (parsed.host or "").strip("[]").lower()
        if host and host in self._extra and not (parsed.user or parsed.password):
            return parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback(host))
        return super().is_allowed(url)


def service_url_validator(settings: Settings) -> ServiceUrlValidator:
    """Anonymous mode answers only a local connector; signed mode Microsoft's hosts (and any
    configured extra ones)."""
    if settings.teams_auth == "anonymous":
        hosts = tuple(dict.fromkeys((*LOOPBACK_HOSTS, *settings.teams_extra_hosts)))
        return ServiceUrlValidator(hosts, microsoft=False)
    return ServiceUrlValidator(settings.teams_extra_hosts, microsoft=True)
