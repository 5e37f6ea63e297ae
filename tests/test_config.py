"""Settings: defaults, `.env`, and one Swedish line naming the setting for every bad value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, SettingsError, load_settings

KEY = "config-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def clean(tmp_path, monkeypatch) -> Path:
    """An empty working directory (no `.env`) and no FRISTER_*/SLACK_* variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("FRISTER_", "SLACK_")):
            monkeypatch.delenv(name)
    return tmp_path


def test_defaults():
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./frister.db"
    assert settings.is_sqlite
    assert settings.timezone == "Europe/Stockholm"
    assert settings.tz.key == "Europe/Stockholm"
    assert settings.locale == "sv_SE"
    assert settings.send_time == "08:00"
    assert settings.pseudonym_length == 8
    assert settings.pseudonym_key is None
    assert not settings.slack_configured


def test_dotenv_is_read(clean):
    (clean / ".env").write_text(
        f"FRISTER_PSEUDONYM_KEY={KEY}\n"
        "FRISTER_TIMEZONE=Europe/Helsinki\n"
        "FRISTER_SEND_TIME=7:30\n"
        "FRISTER_PSEUDONYM_LENGTH=12\n"
        "FRISTER_DATABASE_URL=postgresql+asyncpg://frister@db/frister\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.pseudonym_key.get_secret_value() == KEY
    assert settings.timezone == "Europe/Helsinki"
    assert settings.send_time == "07:30"
    assert settings.pseudonym_length == 12
    assert not settings.is_sqlite


def test_environment_beats_dotenv(clean, monkeypatch):
    (clean / ".env").write_text("FRISTER_TIMEZONE=Europe/Helsinki\n", encoding="utf-8")
    monkeypatch.setenv("FRISTER_TIMEZONE", "Europe/Oslo")
    assert load_settings().timezone == "Europe/Oslo"


def test_bad_value_in_dotenv(clean):
    (clean / ".env").write_text("FRISTER_SEND_TIME=halv åtta\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="FRISTER_SEND_TIME"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("FRISTER_TIMEZONE", "Europe/Stokholm", "okänd tidszon"),
        ("FRISTER_LOCALE", "xx", "okänd språkkod"),
        ("FRISTER_LOCALE", "de_DE", "bara sv_SE och en finns"),
        ("FRISTER_SEND_TIME", "25:00", "TT:MM"),
        ("FRISTER_SEND_TIME", "08:60", "TT:MM"),
        ("FRISTER_SEND_TIME", "0800", "TT:MM"),
        ("FRISTER_PSEUDONYM_LENGTH", "10", "8, 12 och 16"),
        ("FRISTER_PSEUDONYM_LENGTH", "åtta", "fel format"),
        ("FRISTER_DATABASE_URL", "mysql://", "sqlite+aiosqlite://"),
        ("FRISTER_DATABASE_URL", "sqlite:///frister.db", "postgresql+asyncpg://"),
        ("FRISTER_PSEUDONYM_KEY", "kort-hemlig-nyckel", "minst 32 tecken"),
        ("FRISTER_LOG_LEVEL", "TRACE", "DEBUG"),
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


def test_invalid_override():
    with pytest.raises(SettingsError, match=r"^Inställningen FRISTER_TIMEZONE är ogiltig"):
        load_settings(FRISTER_TIMEZONE="Mars/Olympus")


@pytest.mark.parametrize("value", ["8:5", "08:05", "0:00", "23:59"])
def test_send_time_normalised(monkeypatch, value):
    monkeypatch.setenv("FRISTER_SEND_TIME", value)
    hours, minutes = value.split(":")
    assert load_settings().send_time == f"{int(hours):02d}:{int(minutes):02d}"


def test_key_of_32_characters_is_enough():
    assert load_settings(FRISTER_PSEUDONYM_KEY="k" * 32).pseudonym_key is not None
    with pytest.raises(SettingsError, match="FRISTER_PSEUDONYM_KEY"):
        load_settings(FRISTER_PSEUDONYM_KEY="k" * 31)


def test_short_key_not_in_message(monkeypatch):
    secret = "hemlig-men-for-kort-1234"
    monkeypatch.setenv("FRISTER_PSEUDONYM_KEY", secret)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert secret not in str(raised.value)
    assert secret not in repr(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_bad_database_url_not_in_message(monkeypatch):
    monkeypatch.setenv("FRISTER_DATABASE_URL", "mysql://frister:hemligt-losen@db/frister")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "hemligt-losen" not in str(raised.value)


def test_secrets_not_in_repr(monkeypatch):
    monkeypatch.setenv("FRISTER_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-hemlig-bot-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-hemlig-app-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "hemlig-signeringsnyckel")
    settings = load_settings()
    assert settings.slack_configured
    for text in (repr(settings), str(settings)):
        for secret in (KEY, "xoxb-hemlig", "xapp-hemlig", "hemlig-signeringsnyckel"):
            assert secret not in text


def test_database_password_not_in_repr(monkeypatch):
    """A PostgreSQL URL carries a password; printing or logging the settings must not show it."""
    monkeypatch.setenv("FRISTER_DATABASE_URL", "postgresql+asyncpg://frister:hemligt-losen@db/f")
    settings = load_settings()
    assert settings.database_url.endswith("@db/f")  # still usable
    assert "hemligt-losen" not in repr(settings)
    assert "hemligt-losen" not in str(settings)
