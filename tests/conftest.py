"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when
FRISTER_TEST_DATABASE_URL is set (each test gets its own schema there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot import i18n
from bot.clock import FixedClock
from bot.config import load_settings
from storage.database import create_engine, upgrade

POSTGRES_URL = os.environ.get("FRISTER_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
TEST_KEY = "test-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def _swedish() -> None:
    i18n.activate("sv_SE")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> AsyncIterator[str]:
    """A URL for an empty database of each backend under test."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return POSTGRES_URL


@pytest.fixture
async def engine(database_url):
    """A migrated engine; on PostgreSQL inside a fresh schema that is dropped afterwards."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        await upgrade(engine)
        yield engine
        await engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(database_url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings for a test, isolated from any `.env` in the working directory."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("FRISTER_", "SLACK_")) and name != "FRISTER_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    return load_settings(FRISTER_PSEUDONYM_KEY=TEST_KEY)
