"""Frister's engines never put bound parameters into log lines or exception messages."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.database import create_engine
from tests.conftest import POSTGRES_URL

SECRET = "anna.andersson@example.se"


async def test_an_integrity_error_does_not_show_the_parameters(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE person (email TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO person VALUES (:email)"), {"email": SECRET})
        with pytest.raises(IntegrityError) as raised:
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO person VALUES (:email)"), {"email": SECRET}
                )
        assert "UNIQUE" in str(raised.value)
        assert SECRET not in str(raised.value)
    finally:
        await engine.dispose()


async def test_the_setting_cannot_be_turned_off_by_a_caller(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", hide_parameters=False)
    try:
        assert engine.sync_engine.hide_parameters
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs FRISTER_TEST_DATABASE_URL")
async def test_postgresql_sessions_run_without_jit():
    engine = create_engine(
        POSTGRES_URL, connect_args={"server_settings": {"search_path": "public"}}
    )
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SHOW jit"))).scalar() == "off"
            assert (await connection.execute(text("SHOW search_path"))).scalar() == "public"
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs FRISTER_TEST_DATABASE_URL")
async def test_a_postgresql_connection_returned_mid_transaction_is_rolled_back():
    """(SQLite: tests/test_sqlite_transactions.py.)"""
    engine = create_engine(POSTGRES_URL, pool_size=1)
    table = "t_reset_on_return"
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"CREATE TABLE {table} (x INTEGER)")
        async with engine.connect() as connection:  # the DBAPI adapter begins on its own

            def insert(sync_connection) -> None:
                cursor = sync_connection.connection.dbapi_connection.cursor()
                cursor.execute(f"INSERT INTO {table} VALUES (1)")

            await connection.run_sync(insert)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert not driver.is_in_transaction()
            count = (await connection.exec_driver_sql(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0
            await connection.rollback()
    finally:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        await engine.dispose()
