"""Delegation checks and the JO restart alarm on import (real database)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.services.importer import ImportAborted
from storage.database import session_factory, transaction
from storage.models import Notification
from tests.factories import HEADER, add_person

NORD = "Barn och unga Nord"
DECISION_HEADER = "arende;enhet;handlaggare;handelse;datum;beslutsniva\n"


def app_for(settings, engine, clock, mode: str) -> App:
    return App(
        settings.model_copy(update={"delegation_mode": mode}), clock=clock, engine_override=engine
    )


async def alarms(engine) -> list[Notification]:
    async with transaction(session_factory(engine)) as session:
        query = select(Notification).where(Notification.step.startswith("larm:"))
        return list((await session.execute(query)).scalars().all())


async def test_decision_below_level_refused(settings, engine, clock):
    app = app_for(settings, engine, clock, "refuse")
    csv_text = (
        DECISION_HEADER
        + f"IFO 1;{NORD};U0HANDL01;placering_verkstalld;2026-01-05;\n"
        + f"IFO 1;{NORD};U0HANDL01;overvagande_genomfort;2026-06-30;chef\n"
    )
    with pytest.raises(ImportAborted) as aborted:
        await app.importer().run(csv_text)
    (error,) = aborted.value.report.errors
    assert error.line == 3
    assert "utskott" in str(error) and "delegationsordning" in str(error)


async def test_decision_at_level_accepted(settings, engine, clock):
    app = app_for(settings, engine, clock, "refuse")
    csv_text = (
        DECISION_HEADER
        + f"IFO 1;{NORD};U0HANDL01;placering_verkstalld;2026-01-05;\n"
        + f"IFO 1;{NORD};U0HANDL01;overvagande_genomfort;2026-06-30;Utskott\n"
    )
    report = await app.importer().run(csv_text)
    assert report.new_events == 2
    assert await alarms(engine) == []


async def test_decision_below_level_escalated(settings, engine, clock):
    await add_person(engine, "U0CHEF001", "chef", NORD)
    app = app_for(settings, engine, clock, "escalate")
    csv_text = (
        DECISION_HEADER
        + f"IFO 1;{NORD};U0HANDL01;placering_verkstalld;2026-01-05;\n"
        + f"IFO 1;{NORD};U0HANDL01;overvagande_genomfort;2026-06-30;handläggare\n"
    )
    report = await app.importer().run(csv_text)
    assert report.new_events == 2
    (alarm,) = await alarms(engine)
    assert "utan delegation" in alarm.payload
    assert alarm.recipient.startswith("person:")


async def test_restarted_investigation_alarms_chef(settings, engine, clock):
    await add_person(engine, "U0CHEF001", "chef", NORD)
    app = app_for(settings, engine, clock, "refuse")
    rows = (
        f"IFO 1;{NORD};U0HANDL01;utredning_inledd;2026-01-05\n"
        f"IFO 1;{NORD};U0HANDL01;utredning_avslutad;2026-04-30\n"
        f"IFO 1;{NORD};U0HANDL01;utredning_inledd;2026-05-04\n"
    )
    await app.importer().run(HEADER + rows)
    await app.importer().run(HEADER + rows)  # a re-run does not alarm again
    (alarm,) = await alarms(engine)
    assert "4 dagar" in alarm.payload and "JO" in alarm.payload
