"""Teams settings: the platform choice, the tenant allow-list, and anonymous mode only on a
loopback address."""

from __future__ import annotations

import os

import pytest

from bot.config import SettingsError, is_loopback, load_settings

TENANT = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"
APP_ID = "9a8b7c6d-5e4f-3a2b-1c0d-efabcdef0123"


@pytest.fixture(autouse=True)
def clean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("FRISTER_", "SLACK_")):
            monkeypatch.delenv(name)


def test_defaults_are_slack_and_signed_tokens():
    settings = load_settings()
    assert settings.platform == "slack"
    assert settings.teams_auth == "jwt"
    assert settings.teams_tenants == ()
    assert settings.teams_app_id is None


def test_teams_settings(monkeypatch):
    monkeypatch.setenv("FRISTER_PLATFORM", "teams")
    monkeypatch.setenv("FRISTER_TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("FRISTER_TEAMS_TENANT_ID", f" {TENANT.upper()} , {OTHER_TENANT}")
    monkeypatch.setenv("FRISTER_TEAMS_CLIENT_SECRET", "hemlig-klienthemlighet")
    monkeypatch.setenv("FRISTER_TEAMS_SERVICE_HOSTS", "Connector.Kommun.Example, 127.0.0.1")
    settings = load_settings()
    assert settings.platform == "teams"
    assert settings.teams_tenants == (TENANT, OTHER_TENANT)
    assert settings.teams_extra_hosts == ("connector.kommun.example", "127.0.0.1")
    assert "hemlig-klienthemlighet" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("FRISTER_PLATFORM", "discord", "slack och teams"),
        ("FRISTER_TEAMS_APP_ID", "frister-bot", "GUID"),
        ("FRISTER_TEAMS_TENANT_ID", "kommun.onmicrosoft.com", "GUID"),
        ("FRISTER_TEAMS_TENANT_ID", f"{TENANT},nej", "GUID"),
        ("FRISTER_TEAMS_AUTH", "none", "jwt och anonymous"),
    ],
)
def test_invalid(monkeypatch, name, value, reason):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"Inställningen {name} är ogiltig: ")
    assert reason in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "localhost"])
def test_anonymous_on_loopback(monkeypatch, host):
    monkeypatch.setenv("FRISTER_HTTP_HOST", host)
    monkeypatch.setenv("FRISTER_TEAMS_AUTH", "anonymous")
    assert load_settings().teams_auth == "anonymous"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "frister.kommun.se"])
def test_anonymous_refused_elsewhere(monkeypatch, host):
    monkeypatch.setenv("FRISTER_HTTP_HOST", host)
    monkeypatch.setenv("FRISTER_TEAMS_AUTH", "anonymous")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("Inställningen FRISTER_TEAMS_AUTH är ogiltig: ")
    assert "FRISTER_HTTP_HOST" in message


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("[::1]") and is_loopback("LOCALHOST")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("10.0.0.1")


def test_the_platform_sets_the_limits(monkeypatch):
    """Pacing and paging follow FRISTER_PLATFORM: Teams' per-conversation limits are not Slack's."""
    from bot.bootstrap import App
    from handlers.slack.limits import SLACK_LIMITS
    from handlers.teams.limits import TEAMS_LIMITS

    assert App(load_settings()).limits == SLACK_LIMITS
    monkeypatch.setenv("FRISTER_PLATFORM", "teams")
    assert App(load_settings()).limits == TEAMS_LIMITS != SLACK_LIMITS
