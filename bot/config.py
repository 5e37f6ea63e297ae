"""Settings from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import re
from datetime import time
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import _

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./frister.db"
SUPPORTED_DB_PREFIXES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one Swedish line naming it."""


class Settings(BaseSettings):
    """Every setting Frister reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="FRISTER_DATABASE_URL", repr=False)
    pseudonym_key: SecretStr | None = Field(None, alias="FRISTER_PSEUDONYM_KEY")
    pseudonym_length: int = Field(8, alias="FRISTER_PSEUDONYM_LENGTH")
    timezone: str = Field("Europe/Stockholm", alias="FRISTER_TIMEZONE")
    locale: str = Field("sv_SE", alias="FRISTER_LOCALE")
    rules_dir: Path | None = Field(None, alias="FRISTER_RULES_DIR")
    namnd_moten: Path | None = Field(None, alias="FRISTER_NAMND_MOTEN")
    send_time: str = Field("08:00", alias="FRISTER_SEND_TIME")
    send_until: str = Field("18:00", alias="FRISTER_SEND_UNTIL")
    tick_seconds: int = Field(60, alias="FRISTER_TICK_SECONDS", ge=5, le=3600)
    log_level: str = Field("INFO", alias="FRISTER_LOG_LEVEL")
    admin_channel: str | None = Field(None, alias="FRISTER_ADMIN_CHANNEL")
    heartbeat_url: str | None = Field(None, alias="FRISTER_HEARTBEAT_URL", repr=False)
    http_port: int = Field(3000, alias="FRISTER_HTTP_PORT", ge=0, le=65535)
    http_host: str = Field("127.0.0.1", alias="FRISTER_HTTP_HOST")
    mode: str = Field("socket", alias="FRISTER_MODE")
    delivery_seconds: float = Field(5.0, alias="FRISTER_DELIVERY_SECONDS", gt=0, le=600)
    delivery_lease_seconds: int = Field(120, alias="FRISTER_DELIVERY_LEASE_SECONDS", ge=5, le=3600)
    answer_workers: int = Field(4, alias="FRISTER_ANSWER_WORKERS", ge=1, le=100)
    answer_queue: int = Field(100, alias="FRISTER_ANSWER_QUEUE", ge=1, le=100_000)
    digest: bool = Field(False, alias="FRISTER_DIGEST")
    delegation_mode: str = Field("refuse", alias="FRISTER_DELEGATION_MODE")
    watchdog_min_days: int = Field(2, alias="FRISTER_WATCHDOG_MIN_DAYS", ge=1, le=30)
    watchdog_min_expected: float = Field(3.0, alias="FRISTER_WATCHDOG_MIN_EXPECTED", gt=0, le=100)
    import_every_hours: int | None = Field(None, alias="FRISTER_IMPORT_EVERY_HOURS", ge=1)
    audit_head_file: Path | None = Field(None, alias="FRISTER_AUDIT_HEAD_FILE")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    platform: str = Field("slack", alias="FRISTER_PLATFORM")
    teams_app_id: str | None = Field(None, alias="FRISTER_TEAMS_APP_ID")
    teams_tenant_id: str | None = Field(None, alias="FRISTER_TEAMS_TENANT_ID")
    teams_client_secret: SecretStr | None = Field(None, alias="FRISTER_TEAMS_CLIENT_SECRET")
    teams_certificate: Path | None = Field(None, alias="FRISTER_TEAMS_CERTIFICATE")
    teams_managed_identity: bool = Field(False, alias="FRISTER_TEAMS_MANAGED_IDENTITY")
    teams_auth: str = Field("jwt", alias="FRISTER_TEAMS_AUTH")
    teams_service_hosts: str | None = Field(None, alias="FRISTER_TEAMS_SERVICE_HOSTS")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(SUPPORTED_DB_PREFIXES):
            raise ValueError(_("must start with sqlite+aiosqlite:// or postgresql+asyncpg://"))
        return value

    @field_validator("pseudonym_key")
    @classmethod
    def _pseudonym_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(_("the key must be at least 32 characters long"))
        return value

    @field_validator("pseudonym_length")
    @classmethod
    def _pseudonym_length(cls, value: int) -> int:
        if value not in (8, 12, 16):
            raise ValueError(_("allowed values are 8, 12 and 16"))
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown time zone")) from None
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        try:
            parsed = Locale.parse(value)
        except (UnknownLocaleError, ValueError):
            raise ValueError(_("unknown locale")) from None
        if parsed.language not in ("sv", "en"):
            raise ValueError(_("only sv_SE and en are available"))
        return value

    @field_validator("send_time", "send_until")
    @classmethod
    def _send_time(cls, value: str) -> str:
        hours, sep, minutes = value.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit()):
            raise ValueError(_("write the time as HH:MM, for example 08:00"))
        if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValueError(_("write the time as HH:MM, for example 08:00"))
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("delegation_mode")
    @classmethod
    def _delegation_mode(cls, value: str) -> str:
        if value not in ("refuse", "escalate"):
            raise ValueError(_("allowed values are refuse and escalate"))
        return value

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("socket", "http"):
            raise ValueError(_("allowed values are socket and http"))
        return value

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        if value not in ("slack", "teams"):
            raise ValueError(_("allowed values are slack and teams"))
        return value

    @field_validator("teams_app_id")
    @classmethod
    def _teams_app_id(cls, value: str | None) -> str | None:
        if value is not None and not _GUID.match(value.strip()):
            raise ValueError(_("write the application (client) id, a GUID"))
        return value.strip() if value else None

    @field_validator("teams_tenant_id")
    @classmethod
    def _teams_tenant_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        tenants = [part.strip() for part in value.split(",") if part.strip()]
        if not tenants or not all(_GUID.match(tenant) for tenant in tenants):
            raise ValueError(_("write one or more tenant ids (GUIDs), separated by commas"))
        return ",".join(tenant.lower() for tenant in tenants)

    @field_validator("teams_auth")
    @classmethod
    def _teams_auth(cls, value: str, info: ValidationInfo) -> str:
        if value not in ("jwt", "anonymous"):
            raise ValueError(_("allowed values are jwt and anonymous"))
        if value == "anonymous" and not is_loopback(info.data.get("http_host", "")):
            raise ValueError(
                _(
                    "anonymous is only allowed when FRISTER_HTTP_HOST is a loopback address "
                    "(127.0.0.1, ::1 or localhost)"
                )
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(_("allowed values are DEBUG, INFO, WARNING and ERROR"))
        return value.upper()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def send_at(self) -> time:
        return time.fromisoformat(self.send_time)

    @property
    def send_end(self) -> time:
        return time.fromisoformat(self.send_until)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def teams_tenants(self) -> tuple[str, ...]:
        """The Entra tenants whose activities are accepted (lower case)."""
        return tuple(self.teams_tenant_id.split(",")) if self.teams_tenant_id else ()

    @property
    def teams_extra_hosts(self) -> tuple[str, ...]:
        """Hosts a Teams serviceUrl may name besides Microsoft's own."""
        raw = self.teams_service_hosts or ""
        return tuple(host.strip().lower() for host in raw.split(",") if host.strip())


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise SettingsError with one Swedish line on the first bad one."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = _setting_name(error.get("loc", ()))
        ctx = error.get("ctx", {})
        if "error" in ctx:
            reason = str(ctx["error"])
        elif {"ge", "le"} & ctx.keys() or {"gt", "lt"} & ctx.keys():
            low = ctx.get("ge", ctx.get("gt", ""))
            high = ctx.get("le", ctx.get("lt", ""))
            reason = _("outside the allowed range ({low}–{high})").format(low=low, high=high)
        else:
            reason = _("wrong format")
        raise SettingsError(
            _("The setting {name} is invalid: {reason}.").format(name=name, reason=reason)
        ) from None


def _setting_name(loc: tuple) -> str:
    if not loc:
        return "?"
    field = str(loc[0])
    info = Settings.model_fields.get(field)
    if info is not None and info.alias:
        return info.alias
    return field
